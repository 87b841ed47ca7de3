// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IPaymentEscrow
/// @notice Holds point-of-sale payments for invoices signed by the exchange operator, then
/// captures them into a per-token pool, voids, refunds or settles them to the treasury.
/// @dev Version 2 (issue 9). Nothing on chain names a store: an invoice carries only a blinded
/// commitment to its store, and every balance is either per invoice (the payment) or pooled per
/// token (held, captured, fees, owed). A store's balance is what the exchange's ledger says.
///
/// Per token, the escrow keeps, readable through {pool}:
/// - `held`: funds of payments not yet captured (status Authorized);
/// - `captured`: gross captured funds not yet settled nor refunded (before the exchange's fee);
/// - `fees`: fees collected at settlement, not yet withdrawn;
/// - `owed`: returns that failed (a payer contract without `receive`, a blacklisted account),
///   credited to the account, which pulls them with {withdrawOwed}.
/// Solvency invariant: `held + captured + fees + owed == balance of the escrow` (ETH:
/// `address(this).balance`). The balance can only be larger if someone sent the escrow funds
/// directly (a plain ERC-20 transfer or a self-destruct), which no function books.
///
/// Payment state is keyed by the invoice's EIP-712 digest (domain "CoinposPaymentEscrow", version
/// "2"), so the same terms on another chain or another escrow are another payment. Role checks
/// revert with OpenZeppelin's `AccessControlUnauthorizedAccount(account, role)`, pause checks with
/// `EnforcedPause()`, reentry with `ReentrancyGuardReentrantCall()`, failed token pulls and sends to
/// the treasury or the admin with `SafeERC20FailedOperation(token)`.
///
/// Money that goes back to a payer (a release at capture, a void, a refund, a returned deposit) is
/// sent at once: ETH with at most {RETURN_GAS} gas, a token with a low-level `transfer`. If that send
/// fails (reverts, returns false, the token has no code), the amount is credited to the recipient's
/// owed balance instead and {ReturnOwed} is emitted after the operation's own event; the operation
/// never reverts for it. A batch is therefore never blocked by one recipient.
interface IPaymentEscrow {
    /*//////////////////////////////////////////////////////////////
                                  TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice The terms of one invoice, signed by an operator with EIP-712 (7 static words).
    /// @dev No fee on chain: the exchange's fee is an off-chain term per store (a fee rate on chain
    /// would fingerprint the store); it appears on chain only pooled, at {settle}. The exchange adds
    /// a random 0..59 s to each deadline it derives, so two invoices of a store made in the same
    /// second do not share deadline values.
    struct Invoice {
        // keccak256(abi.encode(bytes32 storeId, bytes32 storeSalt)); storeSalt is 32 random bytes
        // per invoice kept in the exchange's database. It is also the invoice's uniqueness salt: two
        // invoices with the same store, amount and deadlines still have different digests.
        bytes32 storeCommitment;
        address token; // address(0) = ETH
        uint256 amount; // base units, 0 < amount <= type(uint88).max
        address payer; // address(0) = open invoice (anyone may pay); else the only payer
        uint48 paymentDeadline; // direct pay at or before; deposits may arrive until the expiry
        uint48 authorizationExpiry; // capture strictly before; payer may reclaim at or after
        uint48 refundDeadline; // refunds allowed at or before
    }

    /// @notice Where a payment is in its lifecycle.
    /// @dev None: never paid, or reclaimed by the payer (the slot is cleared: after the authorization
    /// expiry None and Closed behave the same, since nothing can pay or capture any more).
    /// Authorized: funds held, `amount` is held (capturable up to the invoice amount). Captured:
    /// `amount` is what may still be refunded. Closed: voided, nothing left.
    enum Status {
        None,
        Authorized,
        Captured,
        Closed
    }

    /// @notice The state of one payment: one storage slot (160 + 88 + 8 bits).
    /// @dev `payer` is the invoice's payer when it names one, whoever sent the funds.
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

    /// @notice The invoice's token (address(0) for ETH) is not on the allow list.
    error PaymentEscrowTokenNotAllowed(address token);

    /// @notice The signature over the invoice does not recover to an account with OPERATOR_ROLE.
    error PaymentEscrowInvalidSignature(bytes32 invoiceHash, address recovered);

    /// @notice The direct payment came after the invoice's payment deadline.
    error PaymentEscrowPaymentDeadlinePassed(bytes32 invoiceHash, uint48 deadline, uint256 timestamp);

    /// @notice The caller is not the payer the invoice or the payment names.
    error PaymentEscrowPayerMismatch(bytes32 invoiceHash, address expected, address found);

    /// @notice The payment is not in the status the operation needs.
    error PaymentEscrowInvalidStatus(bytes32 invoiceHash, Status expected, Status found);

    /// @notice The ETH sent with the call is not what the invoice asks for.
    error PaymentEscrowWrongValue(uint256 expected, uint256 found);

    /// @notice The escrow received less of `token` than it moved in (a fee-on-transfer token).
    error PaymentEscrowUnexpectedReceipt(address token, uint256 expected, uint256 received);

    /// @notice `payWithPermit` was called for an ETH invoice, which has no permit.
    error PaymentEscrowPermitForEth(bytes32 invoiceHash);

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

    /// @notice The token's captured pool (what is captured, not yet settled nor refunded) is below the amount asked.
    error PaymentEscrowInsufficientCaptured(address token, uint256 captured, uint256 requested);

    /// @notice The settlement reference was used before.
    error PaymentEscrowReferenceUsed(bytes32 reference_);

    /// @notice There is no fee balance of the token to withdraw.
    error PaymentEscrowNoFees(address token);

    /// @notice The account has no owed balance of the token to withdraw.
    error PaymentEscrowNothingOwed(address account, address token);

    /// @notice Batch arrays have different lengths.
    error PaymentEscrowLengthMismatch(uint256 expected, uint256 found);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A direct payment ({pay}, {payWithPermit}) of the invoice `invoiceHash`: `amount` of
    /// `token` is held for `payer`. Deposits through the deposit address emit
    /// {IDepositSweeper-DepositKept} instead.
    event InvoicePaid(bytes32 indexed invoiceHash, address indexed payer, address token, uint256 amount);

    /// @notice `amount` was captured into the token's captured pool (gross, before the exchange's
    /// off-chain fee); the uncaptured rest `released` went back to the payer (or, if that send
    /// failed, to its owed balance: {ReturnOwed} follows).
    event PaymentCaptured(bytes32 indexed invoiceHash, uint256 amount, uint256 released);

    /// @notice The operator returned the held `amount` to the payer ({ReturnOwed} follows if the send failed).
    event PaymentVoided(bytes32 indexed invoiceHash, uint256 amount);

    /// @notice The payer took back the held `amount` after the authorization expiry.
    event PaymentReclaimed(bytes32 indexed invoiceHash, uint256 amount);

    /// @notice `amount` of the captured pool went back to the payer ({ReturnOwed} follows if the send failed).
    event PaymentRefunded(bytes32 indexed invoiceHash, uint256 amount);

    /// @notice A send of `amount` of `token` to `account` for the invoice `invoiceHash` failed, so it
    /// was credited to the account's owed balance ({owedTo}), withdrawn later with {withdrawOwed}.
    /// Always emitted after the event of the operation that tried the send (PaymentCaptured's
    /// release, PaymentVoided, PaymentRefunded, IDepositSweeper-DepositReturned and
    /// IDepositSweeper-PaymentReplaced); in a sweep, the returns are sent after every booking of
    /// the batch, so the ReturnOwed events come at the end of the transaction's logs.
    event ReturnOwed(address indexed account, address indexed token, uint256 amount, bytes32 indexed invoiceHash);

    /// @notice `account` withdrew its owed balance of `token` (`amount`) to `to`.
    event OwedWithdrawn(address indexed account, address indexed token, address to, uint256 amount);

    /// @notice A settlement run: `payout + fees` left the captured pool of `token`, `payout` went to
    /// the treasury and `fees` to the fee balance. `reference_` commits to the off-chain settlement
    /// batch without naming a store (keccak256(abi.encode(batchId, batchSalt)), salt in the database).
    event Settled(address indexed token, uint256 payout, uint256 fees, bytes32 indexed reference_);

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

    /// @notice The gas an ETH send to a payer may use (50,000); more is the recipient's problem:
    /// the amount is then owed ({ReturnOwed}), not lost and not blocking.
    function RETURN_GAS() external view returns (uint256);

    /// @notice The EIP-712 digest of `invoice` under this escrow's domain: the payment's key.
    function invoiceHash(Invoice calldata invoice) external view returns (bytes32);

    /// @notice The payment state of the invoice with digest `invoiceHash_`.
    function payment(bytes32 invoiceHash_) external view returns (Payment memory);

    /// @notice The pooled totals of `token` (address(0) = ETH); see the contract notes for the invariant
    /// `held + captured + fees + owed == balance of the escrow`.
    function pool(address token)
        external
        view
        returns (uint256 held, uint256 captured, uint256 fees, uint256 owed);

    /// @notice What the escrow owes `account` in `token` from failed returns.
    function owedTo(address account, address token) external view returns (uint256);

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
    /// terms; the terms are valid and the token allowed; at or before the payment deadline (judged at
    /// the call, which is the payment's own time); the caller is the invoice's payer if it names one;
    /// the invoice was never paid; exactly `amount` arrives. `held += amount`. Emits {InvoicePaid}.
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

    /// @notice Captures `amount` of a held payment into the captured pool; any uncaptured rest goes
    /// back to the payer (one capture per payment, as with card authorizations). The exchange's fee
    /// is not taken here: it is an off-chain term, collected pooled at {settle}.
    /// @dev Requirements: OPERATOR_ROLE; not paused; status Authorized; before the authorization
    /// expiry; 0 < amount <= min(held, invoice.amount). `held -= payment; captured += amount`; the
    /// payment keeps `amount` as refundable. Emits {PaymentCaptured} (and {ReturnOwed} if the
    /// release could not be sent).
    function capture(Invoice calldata invoice, uint256 amount) external;

    /// @notice {capture} for many invoices in one call; reverts as a whole if one capture fails.
    function captureMany(Invoice[] calldata invoices, uint256[] calldata amounts) external;

    /// @notice Returns the held funds of an uncaptured payment to its payer (the invoice's payer if
    /// it names one).
    /// @dev Requirements: OPERATOR_ROLE; not paused; status Authorized. The payment becomes Closed.
    /// Emits {PaymentVoided} (and {ReturnOwed} if the send failed).
    function void(Invoice calldata invoice) external;

    /// @notice The payer takes back the held funds of an uncaptured payment.
    /// @dev Requirements: the caller is the payment's payer; status Authorized; at or after the
    /// authorization expiry. Works while paused, so a pause never traps a payer's funds. The payment
    /// slot is cleared (status None). The send reverts on failure: the caller is the recipient.
    /// Emits {PaymentReclaimed}.
    function reclaim(Invoice calldata invoice) external;

    /// @notice Returns `amount` of a captured payment to its payer, out of the captured pool.
    /// @dev Requirements: OPERATOR_ROLE; not paused; status Captured; at or before the refund
    /// deadline; 0 < amount <= refundable; amount <= the token's captured pool (what is not yet
    /// settled). Emits {PaymentRefunded} (and {ReturnOwed} if the send failed).
    function refund(Invoice calldata invoice, uint256 amount) external;

    /// @notice One settlement run of `token`, carrying every store settled in the run: `payout` goes
    /// to the treasury, `fees` to the fee balance, both out of the captured pool.
    /// @dev Requirements: OPERATOR_ROLE; not paused; payout + fees > 0; payout + fees <= captured;
    /// `reference_` never used. Emits {Settled}.
    function settle(address token, uint256 payout, uint256 fees, bytes32 reference_) external;

    /// @notice Withdraws the caller's whole owed balance of `token` (credited by failed returns) to `to`.
    /// @dev Requirements: a nonzero owed balance; `to` nonzero. Works while paused. Reverts if the
    /// send to `to` fails (the caller picks another `to`). Emits {OwedWithdrawn}.
    function withdrawOwed(address token, address to) external;

    /*//////////////////////////////////////////////////////////////
                                  ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @notice Pays the whole collected fee balance of `token` to `to`.
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; not paused; `to` nonzero; a nonzero fee balance.
    /// Emits {FeesWithdrawn}.
    function withdrawFees(address token, address to) external;

    /// @notice Allows or disallows invoices in `token` (address(0) = ETH). Existing payments are
    /// unaffected; deposits swept while the token is disallowed go back to their senders.
    /// @dev Requirements: DEFAULT_ADMIN_ROLE. Emits {TokenAllowedSet}.
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Sets the account that receives settlements.
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; nonzero. Emits {TreasurySet}.
    function setTreasury(address treasury_) external;

    /// @notice Stops every operation but {reclaim}, {IDepositSweeper-reclaimDeposit} and
    /// {withdrawOwed}, which move a payer's own funds. Requirements: DEFAULT_ADMIN_ROLE.
    function pause() external;

    /// @notice Lifts the pause. Requirements: DEFAULT_ADMIN_ROLE.
    function unpause() external;
}
