// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @custom:test-double The previous escrow design (v1), unchanged but renamed: the privacy test's positive control and the gas baseline.
/// @title IPaymentEscrowV1
/// @notice Holds point-of-sale payments for invoices signed by the exchange operator, then
/// captures them into a per-store balance, voids, refunds or settles them to the treasury.
/// @dev A store is only ever a pseudonymous `bytes32 storeId`: no function, event or storage slot
/// holds a store's or a terminal's address. Payment state is keyed by the invoice's EIP-712 digest
/// (domain "CoinposPaymentEscrow", version "1"), so the same terms on another chain or another
/// escrow are another payment. Role checks revert with OpenZeppelin's
/// `AccessControlUnauthorizedAccount(account, role)`, pause checks with `EnforcedPause()`, reentry
/// with `ReentrancyGuardReentrantCall()`, failed token calls with `SafeERC20FailedOperation(token)`.
interface IPaymentEscrowV1 {
    /*//////////////////////////////////////////////////////////////
                                  TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice The terms of one invoice, signed by an operator with EIP-712.
    struct Invoice {
        bytes32 storeId; // pseudonymous store id, never an address
        address token; // address(0) = ETH
        uint256 amount; // base units
        address payer; // address(0) = anyone may pay
        uint48 paymentDeadline; // pay/sweep must happen at or before
        uint48 authorizationExpiry; // capture strictly before; payer may reclaim at or after
        uint48 refundDeadline; // refunds allowed at or before
        uint16 minFeeBps; // fee bounds the operator must respect at capture
        uint16 maxFeeBps;
        bytes32 salt; // makes each invoice unique
    }

    /// @notice Where a payment is in its lifecycle.
    /// @dev None: never paid. Authorized: funds held, `amount` is capturable. Captured: `amount` is
    /// what may still be refunded. Closed: voided or reclaimed, nothing left.
    enum Status {
        None,
        Authorized,
        Captured,
        Closed
    }

    /// @notice The state of one payment: one storage slot (160 + 88 + 8 bits).
    struct Payment {
        address payer;
        uint88 amount;
        Status status;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice A constructor or admin argument that must be an account is the zero address.
    error PaymentEscrowInvalidAddress(address account);

    /// @notice The invoice's expiries are not ordered paymentDeadline <= authorizationExpiry <= refundDeadline.
    error PaymentEscrowExpiriesOutOfOrder(
        uint48 paymentDeadline, uint48 authorizationExpiry, uint48 refundDeadline
    );

    /// @notice The invoice amount (or an operation's amount) is zero.
    error PaymentEscrowZeroAmount();

    /// @notice The amount does not fit the 88-bit payment state.
    error PaymentEscrowAmountTooLarge(uint256 amount, uint256 max);

    /// @notice The invoice's fee bounds are not minFeeBps <= maxFeeBps <= 10,000.
    error PaymentEscrowInvalidFeeBounds(uint16 minFeeBps, uint16 maxFeeBps);

    /// @notice The invoice's token (address(0) for ETH) is not on the allow list.
    error PaymentEscrowTokenNotAllowed(address token);

    /// @notice The signature over the invoice does not recover to an account with OPERATOR_ROLE.
    error PaymentEscrowInvalidSignature(bytes32 invoiceHash, address recovered);

    /// @notice The payment came after the invoice's payment deadline.
    error PaymentEscrowPaymentDeadlinePassed(bytes32 invoiceHash, uint48 deadline, uint256 timestamp);

    /// @notice The caller is not the payer the invoice or the payment names.
    error PaymentEscrowPayerMismatch(bytes32 invoiceHash, address expected, address found);

    /// @notice The payment is not in the status the operation needs.
    error PaymentEscrowInvalidStatus(bytes32 invoiceHash, Status expected, Status found);

    /// @notice The ETH sent with the call is not what the invoice asks for.
    error PaymentEscrowWrongValue(uint256 expected, uint256 found);

    /// @notice The escrow received another amount than the one pulled (a fee-on-transfer token).
    error PaymentEscrowUnexpectedReceipt(address token, uint256 expected, uint256 received);

    /// @notice `payWithPermit` was called for an ETH invoice, which has no permit.
    error PaymentEscrowPermitForEth(bytes32 invoiceHash);

    /// @notice The fee asked at capture is outside the invoice's bounds.
    error PaymentEscrowFeeOutOfBounds(uint16 feeBps, uint16 minFeeBps, uint16 maxFeeBps);

    /// @notice The capture asks for more than is capturable: the held funds, and never above the invoice amount.
    error PaymentEscrowInsufficientAuthorization(bytes32 invoiceHash, uint256 capturable, uint256 requested);

    /// @notice Capture at or after the authorization expiry.
    error PaymentEscrowAuthorizationExpired(bytes32 invoiceHash, uint48 expiry, uint256 timestamp);

    /// @notice Reclaim before the authorization expiry.
    error PaymentEscrowAuthorizationNotExpired(bytes32 invoiceHash, uint48 expiry, uint256 timestamp);

    /// @notice Refund after the refund deadline.
    error PaymentEscrowRefundDeadlinePassed(bytes32 invoiceHash, uint48 deadline, uint256 timestamp);

    /// @notice The refund asks for more than the captured amount not yet refunded.
    error PaymentEscrowInsufficientRefundable(bytes32 invoiceHash, uint256 refundable, uint256 requested);

    /// @notice The store's balance of the token is below the amount asked.
    error PaymentEscrowInsufficientStoreBalance(
        bytes32 storeId, address token, uint256 balance, uint256 requested
    );

    /// @notice The settlement reference was used before.
    error PaymentEscrowReferenceUsed(bytes32 reference_);

    /// @notice There is no fee balance of the token to withdraw.
    error PaymentEscrowNoFees(address token);

    /// @notice Batch arrays have different lengths.
    error PaymentEscrowLengthMismatch(uint256 expected, uint256 found);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice An invoice was paid: the first event of a payment, so it carries the full terms.
    event InvoicePaid(
        bytes32 indexed invoiceHash, bytes32 indexed storeId, address indexed payer, Invoice invoice, uint256 amount
    );

    /// @notice The payer topped up an underpaid payment through its deposit address.
    event PaymentIncreased(bytes32 indexed invoiceHash, bytes32 indexed storeId, uint256 amount, uint256 held);

    /// @notice `amount` was captured: `amount - fee` credited to the store, `fee` to the fee balance,
    /// and the uncaptured rest `released` went back to the payer.
    event PaymentCaptured(
        bytes32 indexed invoiceHash, bytes32 indexed storeId, uint256 amount, uint256 fee, uint256 released
    );

    /// @notice The operator returned the held funds to the payer.
    event PaymentVoided(bytes32 indexed invoiceHash, bytes32 indexed storeId, uint256 amount);

    /// @notice The payer took back the held funds after the authorization expiry.
    event PaymentReclaimed(bytes32 indexed invoiceHash, bytes32 indexed storeId, uint256 amount);

    /// @notice Captured funds went back from the store's balance to the payer.
    event PaymentRefunded(bytes32 indexed invoiceHash, bytes32 indexed storeId, uint256 amount);

    /// @notice `amount` of a store's balance moved to the treasury against the off-chain settlement
    /// `reference_`, and the fees the store's captures accrued (`feesCollected`) moved to the fee balance.
    event StoreSettled(
        bytes32 indexed storeId, address indexed token, uint256 amount, bytes32 indexed reference_, uint256 feesCollected
    );

    /// @notice The fee balance of `token` was paid out.
    event FeesWithdrawn(address indexed token, address indexed to, uint256 amount);

    /// @notice The allow list entry of `token` (address(0) = ETH) was set.
    event TokenAllowedSet(address indexed token, bool allowed);

    /// @notice The treasury that receives settlements changed.
    event TreasurySet(address indexed previous, address indexed current);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The role that signs invoices and captures, voids, refunds, settles and sweeps.
    function OPERATOR_ROLE() external view returns (bytes32);

    /// @notice The EIP-712 digest of `invoice` under this escrow's domain: the payment's key.
    function invoiceHash(Invoice calldata invoice) external view returns (bytes32);

    /// @notice The payment state of the invoice with digest `invoiceHash_`.
    function payment(bytes32 invoiceHash_) external view returns (Payment memory);

    /// @notice The captured, unsettled balance of `token` of the store `storeId`.
    function storeBalance(bytes32 storeId, address token) external view returns (uint256);

    /// @notice The fees of `token` accrued by the store's captures, collected at its next settlement.
    /// @dev Kept in the same storage slot as the store balance, so a capture writes one slot, not two.
    function accruedFees(bytes32 storeId, address token) external view returns (uint256);

    /// @notice The collected fee balance of `token`, not yet withdrawn.
    function feeBalance(address token) external view returns (uint256);

    /// @notice Whether invoices may be in `token` (address(0) = ETH).
    function isTokenAllowed(address token) external view returns (bool);

    /// @notice Whether the settlement reference was used.
    function isReferenceUsed(bytes32 reference_) external view returns (bool);

    /// @notice The account that receives settlements.
    function treasury() external view returns (address);

    /*//////////////////////////////////////////////////////////////
                               PAYMENT FLOW
    //////////////////////////////////////////////////////////////*/

    /// @notice Pays `invoice`: ETH as `msg.value`, or an ERC-20 the caller approved to the escrow.
    /// @dev Requirements: not paused; `operatorSignature` is an operator's EIP-712 signature of the
    /// terms; the terms are valid; at or before the payment deadline; the caller is the invoice's
    /// payer if it names one; the invoice was never paid; exactly `amount` arrives. Emits {InvoicePaid}.
    function pay(Invoice calldata invoice, bytes calldata operatorSignature) external payable;

    /// @notice Same as {pay} for an ERC-2612 token, with the approval given by a permit in the same call.
    /// @dev A permit that fails (for example because it was front-run) is ignored: the pull then
    /// succeeds only if the allowance is already there.
    function payWithPermit(
        Invoice calldata invoice,
        bytes calldata operatorSignature,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Captures `amount` of a held payment: the store's balance gets `amount` less
    /// `amount * feeBps / 10_000` (rounded down), the fee balance gets the fee, and any uncaptured
    /// rest goes back to the payer (one capture per payment, as with card authorizations).
    /// @dev Requirements: OPERATOR_ROLE; not paused; status Authorized; before the authorization
    /// expiry; 0 < amount <= min(held, invoice.amount); minFeeBps <= feeBps <= maxFeeBps.
    /// Emits {PaymentCaptured}.
    function capture(Invoice calldata invoice, uint256 amount, uint16 feeBps) external;

    /// @notice {capture} for many invoices in one call; reverts as a whole if one capture fails.
    function captureMany(Invoice[] calldata invoices, uint256[] calldata amounts, uint16[] calldata feeBps)
        external;

    /// @notice Returns the held funds of an uncaptured payment to its payer.
    /// @dev Requirements: OPERATOR_ROLE; not paused; status Authorized. Emits {PaymentVoided}.
    function void(Invoice calldata invoice) external;

    /// @notice The payer takes back the held funds of an uncaptured payment.
    /// @dev Requirements: the caller is the payment's payer; status Authorized; at or after the
    /// authorization expiry. Works while paused, so a pause never traps a payer's funds.
    /// Emits {PaymentReclaimed}.
    function reclaim(Invoice calldata invoice) external;

    /// @notice Returns `amount` of captured funds from the store's balance to the payer.
    /// @dev Requirements: OPERATOR_ROLE; not paused; status Captured; at or before the refund
    /// deadline; 0 < amount <= refundable; amount <= store balance. Emits {PaymentRefunded}.
    function refund(Invoice calldata invoice, uint256 amount) external;

    /// @notice Moves `amount` of a store's balance of `token` to the treasury, and the store's accrued
    /// fees to the fee balance.
    /// @dev Requirements: OPERATOR_ROLE; not paused; amount within the balance; amount > 0 unless
    /// only fees are collected; `reference_` never used. Emits {StoreSettled}.
    function settle(bytes32 storeId, address token, uint256 amount, bytes32 reference_) external;

    /*//////////////////////////////////////////////////////////////
                                  ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @notice Pays the whole collected fee balance of `token` to `to`.
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; not paused; `to` nonzero; a nonzero fee balance.
    /// Emits {FeesWithdrawn}.
    function withdrawFees(address token, address to) external;

    /// @notice Allows or disallows invoices in `token` (address(0) = ETH). Existing payments are unaffected.
    /// @dev Requirements: DEFAULT_ADMIN_ROLE. Emits {TokenAllowedSet}.
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Sets the account that receives settlements.
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; nonzero. Emits {TreasurySet}.
    function setTreasury(address treasury_) external;

    /// @notice Stops every operation but {reclaim}. Requirements: DEFAULT_ADMIN_ROLE.
    function pause() external;

    /// @notice Lifts the pause. Requirements: DEFAULT_ADMIN_ROLE.
    function unpause() external;
}
