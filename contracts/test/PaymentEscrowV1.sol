// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {DepositForwarderV1} from "./DepositForwarderV1.sol";
import {IDepositSweeperV1} from "./IDepositSweeperV1.sol";
import {IPaymentEscrowV1} from "./IPaymentEscrowV1.sol";

/// @custom:test-double The previous escrow design (v1), unchanged but renamed: the privacy test's positive control and the gas baseline.
/// @title PaymentEscrowV1
/// @notice Point-of-sale payment escrow: pay (authorize), capture, void, reclaim, refund, settle,
/// and per-invoice deposit addresses swept by the operator.
/// @dev Every payment is one storage slot keyed by the invoice's EIP-712 digest; the terms come
/// back in calldata on every later call and are checked by hashing them again.
contract PaymentEscrowV1 is
    IPaymentEscrowV1,
    IDepositSweeperV1,
    EIP712,
    AccessControl,
    Pausable,
    ReentrancyGuardTransient
{
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentEscrowV1
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    bytes32 private constant _INVOICE_TYPEHASH = keccak256(
        "Invoice(bytes32 storeId,address token,uint256 amount,address payer,uint48 paymentDeadline,"
        "uint48 authorizationExpiry,uint48 refundDeadline,uint16 minFeeBps,uint16 maxFeeBps,bytes32 salt)"
    );

    uint16 private constant _MAX_BPS = 10_000;

    mapping(bytes32 invoiceHash => Payment) private _payments;
    /// @dev A store's balance and the fees its captures accrued share one slot, so a capture writes
    /// two slots (payment, store) rather than three; fees move to `_fees` when the store settles.
    struct StoreAccount {
        uint128 balance;
        uint128 fees;
    }

    mapping(bytes32 storeId => mapping(address token => StoreAccount)) private _stores;
    mapping(address token => uint256) private _fees;
    mapping(address token => bool) private _allowedTokens;
    mapping(bytes32 reference_ => bool) private _usedReferences;
    address private _treasury;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param admin Given DEFAULT_ADMIN_ROLE: grants OPERATOR_ROLE, manages the allow list, pauses.
    /// @param treasury_ Receives settlements.
    constructor(address admin, address treasury_) EIP712("CoinposPaymentEscrow", "1") {
        if (admin == address(0)) revert PaymentEscrowInvalidAddress(admin);
        if (treasury_ == address(0)) revert PaymentEscrowInvalidAddress(treasury_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _treasury = treasury_;
        emit TreasurySet(address(0), treasury_);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentEscrowV1
    function invoiceHash(Invoice calldata invoice) external view returns (bytes32) {
        return _hashInvoice(invoice);
    }

    /// @inheritdoc IPaymentEscrowV1
    function payment(bytes32 invoiceHash_) external view returns (Payment memory) {
        return _payments[invoiceHash_];
    }

    /// @inheritdoc IPaymentEscrowV1
    function storeBalance(bytes32 storeId, address token) external view returns (uint256) {
        return _stores[storeId][token].balance;
    }

    /// @inheritdoc IPaymentEscrowV1
    function accruedFees(bytes32 storeId, address token) external view returns (uint256) {
        return _stores[storeId][token].fees;
    }

    /// @inheritdoc IPaymentEscrowV1
    function feeBalance(address token) external view returns (uint256) {
        return _fees[token];
    }

    /// @inheritdoc IPaymentEscrowV1
    function isTokenAllowed(address token) external view returns (bool) {
        return _allowedTokens[token];
    }

    /// @inheritdoc IPaymentEscrowV1
    function isReferenceUsed(bytes32 reference_) external view returns (bool) {
        return _usedReferences[reference_];
    }

    /// @inheritdoc IPaymentEscrowV1
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IDepositSweeperV1
    function depositAddress(Invoice calldata invoice) external view returns (address) {
        return Create2.computeAddress(_hashInvoice(invoice), keccak256(_forwarderInitCode(invoice.token)));
    }

    /*//////////////////////////////////////////////////////////////
                               PAYMENT FLOW
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentEscrowV1
    function pay(Invoice calldata invoice, bytes calldata operatorSignature)
        external
        payable
        nonReentrant
        whenNotPaused
    {
        bytes32 hash = _signedInvoice(invoice, operatorSignature);
        if (invoice.token == address(0)) {
            if (msg.value != invoice.amount) revert PaymentEscrowWrongValue(invoice.amount, msg.value);
            _authorize(invoice, hash);
        } else {
            if (msg.value != 0) revert PaymentEscrowWrongValue(0, msg.value);
            _authorize(invoice, hash);
            _pullExact(IERC20(invoice.token), invoice.amount);
        }
    }

    /// @inheritdoc IPaymentEscrowV1
    function payWithPermit(
        Invoice calldata invoice,
        bytes calldata operatorSignature,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant whenNotPaused {
        bytes32 hash = _signedInvoice(invoice, operatorSignature);
        if (invoice.token == address(0)) revert PaymentEscrowPermitForEth(hash);
        // Anyone can submit a permit seen in the mempool first; the allowance it set is then already
        // there, so a failed permit is not an error. The pull below decides.
        try IERC20Permit(invoice.token).permit(msg.sender, address(this), invoice.amount, permitDeadline, v, r, s) {}
            catch {}
        _authorize(invoice, hash);
        _pullExact(IERC20(invoice.token), invoice.amount);
    }

    /// @inheritdoc IPaymentEscrowV1
    function capture(Invoice calldata invoice, uint256 amount, uint16 feeBps)
        external
        nonReentrant
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
    {
        _capture(invoice, amount, feeBps);
    }

    /// @inheritdoc IPaymentEscrowV1
    function captureMany(Invoice[] calldata invoices, uint256[] calldata amounts, uint16[] calldata feeBps)
        external
        nonReentrant
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
    {
        if (amounts.length != invoices.length) revert PaymentEscrowLengthMismatch(invoices.length, amounts.length);
        if (feeBps.length != invoices.length) revert PaymentEscrowLengthMismatch(invoices.length, feeBps.length);
        for (uint256 i; i < invoices.length; ++i) {
            _capture(invoices[i], amounts[i], feeBps[i]);
        }
    }

    /// @inheritdoc IPaymentEscrowV1
    function void(Invoice calldata invoice) external nonReentrant onlyRole(OPERATOR_ROLE) whenNotPaused {
        (bytes32 hash, Payment memory p) = _heldPayment(invoice);
        _payments[hash] = Payment(p.payer, 0, Status.Closed);
        emit PaymentVoided(hash, invoice.storeId, p.amount);
        _send(invoice.token, p.payer, p.amount);
    }

    /// @inheritdoc IPaymentEscrowV1
    function reclaim(Invoice calldata invoice) external nonReentrant {
        (bytes32 hash, Payment memory p) = _heldPayment(invoice);
        if (msg.sender != p.payer) revert PaymentEscrowPayerMismatch(hash, p.payer, msg.sender);
        if (block.timestamp < invoice.authorizationExpiry) {
            revert PaymentEscrowAuthorizationNotExpired(hash, invoice.authorizationExpiry, block.timestamp);
        }
        _payments[hash] = Payment(p.payer, 0, Status.Closed);
        emit PaymentReclaimed(hash, invoice.storeId, p.amount);
        _send(invoice.token, p.payer, p.amount);
    }

    /// @inheritdoc IPaymentEscrowV1
    function refund(Invoice calldata invoice, uint256 amount)
        external
        nonReentrant
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
    {
        bytes32 hash = _hashInvoice(invoice);
        Payment memory p = _payments[hash];
        if (p.status != Status.Captured) revert PaymentEscrowInvalidStatus(hash, Status.Captured, p.status);
        if (block.timestamp > invoice.refundDeadline) {
            revert PaymentEscrowRefundDeadlinePassed(hash, invoice.refundDeadline, block.timestamp);
        }
        if (amount == 0) revert PaymentEscrowZeroAmount();
        if (amount > p.amount) revert PaymentEscrowInsufficientRefundable(hash, p.amount, amount);
        _debitStore(invoice.storeId, invoice.token, amount);
        // Safe: amount <= p.amount was checked just above.
        unchecked {
            _payments[hash] = Payment(p.payer, p.amount - uint88(amount), Status.Captured);
        }
        emit PaymentRefunded(hash, invoice.storeId, amount);
        _send(invoice.token, p.payer, amount);
    }

    /// @inheritdoc IPaymentEscrowV1
    function settle(bytes32 storeId, address token, uint256 amount, bytes32 reference_)
        external
        nonReentrant
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
    {
        if (_usedReferences[reference_]) revert PaymentEscrowReferenceUsed(reference_);
        StoreAccount memory account = _stores[storeId][token];
        if (amount == 0 && account.fees == 0) revert PaymentEscrowZeroAmount();
        if (amount > account.balance) {
            revert PaymentEscrowInsufficientStoreBalance(storeId, token, account.balance, amount);
        }
        _usedReferences[reference_] = true;
        // Safe: amount <= account.balance was checked just above.
        unchecked {
            _stores[storeId][token] = StoreAccount(account.balance - uint128(amount), 0);
        }
        _fees[token] += account.fees;
        emit StoreSettled(storeId, token, amount, reference_, account.fees);
        if (amount != 0) _send(token, _treasury, amount);
    }

    /// @inheritdoc IDepositSweeperV1
    function sweep(Invoice[] calldata invoices, address[] calldata payers)
        external
        nonReentrant
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
    {
        _sweep(invoices, payers, new uint16[](0), false);
    }

    /// @inheritdoc IDepositSweeperV1
    function sweepAndCapture(Invoice[] calldata invoices, address[] calldata payers, uint16[] calldata feeBps)
        external
        nonReentrant
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
    {
        if (feeBps.length != invoices.length) revert PaymentEscrowLengthMismatch(invoices.length, feeBps.length);
        _sweep(invoices, payers, feeBps, true);
    }

    /*//////////////////////////////////////////////////////////////
                                  ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentEscrowV1
    function withdrawFees(address token, address to)
        external
        nonReentrant
        onlyRole(DEFAULT_ADMIN_ROLE)
        whenNotPaused
    {
        if (to == address(0)) revert PaymentEscrowInvalidAddress(to);
        uint256 amount = _fees[token];
        if (amount == 0) revert PaymentEscrowNoFees(token);
        _fees[token] = 0;
        emit FeesWithdrawn(token, to, amount);
        _send(token, to, amount);
    }

    /// @inheritdoc IPaymentEscrowV1
    function setTokenAllowed(address token, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _allowedTokens[token] = allowed;
        emit TokenAllowedSet(token, allowed);
    }

    /// @inheritdoc IPaymentEscrowV1
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert PaymentEscrowInvalidAddress(treasury_);
        emit TreasurySet(_treasury, treasury_);
        _treasury = treasury_;
    }

    /// @inheritdoc IPaymentEscrowV1
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @inheritdoc IPaymentEscrowV1
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _hashInvoice(Invoice calldata invoice) private view returns (bytes32) {
        // Every field is static, so abi.encode lays the struct out exactly as EIP-712 encodeData.
        return _hashTypedDataV4(keccak256(abi.encode(_INVOICE_TYPEHASH, invoice)));
    }

    /// @dev Checks the terms and the operator's signature; returns the invoice digest.
    function _signedInvoice(Invoice calldata invoice, bytes calldata signature) private view returns (bytes32 hash) {
        _checkTermsShape(invoice);
        if (!_allowedTokens[invoice.token]) revert PaymentEscrowTokenNotAllowed(invoice.token);
        hash = _hashInvoice(invoice);
        (address signer,,) = ECDSA.tryRecover(hash, signature);
        if (signer == address(0) || !hasRole(OPERATOR_ROLE, signer)) {
            revert PaymentEscrowInvalidSignature(hash, signer);
        }
    }

    /// @dev Everything about the terms but the allow list, which a sweep treats as a reason to return funds.
    function _checkTermsShape(Invoice calldata invoice) private pure {
        if (invoice.amount == 0) revert PaymentEscrowZeroAmount();
        if (invoice.amount > type(uint88).max) revert PaymentEscrowAmountTooLarge(invoice.amount, type(uint88).max);
        if (invoice.paymentDeadline > invoice.authorizationExpiry || invoice.authorizationExpiry > invoice.refundDeadline)
        {
            revert PaymentEscrowExpiriesOutOfOrder(
                invoice.paymentDeadline, invoice.authorizationExpiry, invoice.refundDeadline
            );
        }
        if (invoice.minFeeBps > invoice.maxFeeBps || invoice.maxFeeBps > _MAX_BPS) {
            revert PaymentEscrowInvalidFeeBounds(invoice.minFeeBps, invoice.maxFeeBps);
        }
    }

    /// @dev Records a direct payment by msg.sender of the full invoice amount.
    function _authorize(Invoice calldata invoice, bytes32 hash) private {
        if (block.timestamp > invoice.paymentDeadline) {
            revert PaymentEscrowPaymentDeadlinePassed(hash, invoice.paymentDeadline, block.timestamp);
        }
        if (invoice.payer != address(0) && invoice.payer != msg.sender) {
            revert PaymentEscrowPayerMismatch(hash, invoice.payer, msg.sender);
        }
        Status status = _payments[hash].status;
        if (status != Status.None) revert PaymentEscrowInvalidStatus(hash, Status.None, status);
        // The cast is safe: _checkTermsShape bounds the amount to uint88.
        _payments[hash] = Payment(msg.sender, uint88(invoice.amount), Status.Authorized);
        emit InvoicePaid(hash, invoice.storeId, msg.sender, invoice, invoice.amount);
    }

    /// @dev Pulls `amount` from msg.sender and rejects a token that delivers anything else.
    function _pullExact(IERC20 token, uint256 amount) private {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert PaymentEscrowUnexpectedReceipt(address(token), amount, received);
    }

    function _capture(Invoice calldata invoice, uint256 amount, uint16 feeBps) private {
        (bytes32 hash, Payment memory p) = _heldPayment(invoice);
        if (block.timestamp >= invoice.authorizationExpiry) {
            revert PaymentEscrowAuthorizationExpired(hash, invoice.authorizationExpiry, block.timestamp);
        }
        if (amount == 0) revert PaymentEscrowZeroAmount();
        // An overpayment through a deposit address holds more than the invoice asks; the excess is
        // never capturable and goes back to the payer with the rest below.
        uint256 capturable = p.amount < invoice.amount ? p.amount : invoice.amount;
        if (amount > capturable) revert PaymentEscrowInsufficientAuthorization(hash, capturable, amount);
        uint256 released;
        // Safe: amount <= capturable <= p.amount.
        unchecked {
            released = p.amount - amount;
        }
        // The cast is safe: amount <= p.amount, a uint88.
        _credit(invoice, hash, p.payer, uint88(amount), feeBps, released);
        if (released != 0) _send(invoice.token, p.payer, released);
    }

    /// @dev Books a capture of `amount`: the store gets it less the fee, and the payment keeps the
    /// gross amount as refundable, so a refund may give the payer everything back.
    function _credit(Invoice calldata invoice, bytes32 hash, address payer, uint88 amount, uint16 feeBps, uint256 released)
        private
    {
        if (feeBps < invoice.minFeeBps || feeBps > invoice.maxFeeBps) {
            revert PaymentEscrowFeeOutOfBounds(feeBps, invoice.minFeeBps, invoice.maxFeeBps);
        }
        uint128 fee = uint128(uint256(amount) * feeBps / _MAX_BPS);
        StoreAccount memory account = _stores[invoice.storeId][invoice.token];
        // Checked additions: a uint128 store total overflowing reverts rather than wraps. fee <= amount
        // because feeBps <= 10,000, so the subtraction cannot underflow.
        _stores[invoice.storeId][invoice.token] = StoreAccount(account.balance + (amount - fee), account.fees + fee);
        _payments[hash] = Payment(payer, amount, Status.Captured);
        emit PaymentCaptured(hash, invoice.storeId, amount, fee, released);
    }

    /// @dev The digest and state of a payment whose funds are held (status Authorized).
    function _heldPayment(Invoice calldata invoice) private view returns (bytes32 hash, Payment memory p) {
        hash = _hashInvoice(invoice);
        p = _payments[hash];
        if (p.status != Status.Authorized) revert PaymentEscrowInvalidStatus(hash, Status.Authorized, p.status);
    }

    function _debitStore(bytes32 storeId, address token, uint256 amount) private {
        StoreAccount storage account = _stores[storeId][token];
        uint128 balance = account.balance;
        if (amount > balance) revert PaymentEscrowInsufficientStoreBalance(storeId, token, balance, amount);
        // Safe: amount <= balance was checked just above.
        unchecked {
            account.balance = balance - uint128(amount);
        }
    }

    function _send(address token, address to, uint256 amount) private {
        if (token == address(0)) Address.sendValue(payable(to), amount);
        else IERC20(token).safeTransfer(to, amount);
    }

    function _forwarderInitCode(address token) private pure returns (bytes memory) {
        return abi.encodePacked(type(DepositForwarderV1).creationCode, abi.encode(token));
    }

    function _sweep(Invoice[] calldata invoices, address[] calldata payers, uint16[] memory feeBps, bool capturing)
        private
    {
        if (payers.length != invoices.length) revert PaymentEscrowLengthMismatch(invoices.length, payers.length);
        // Batches are usually in one token: the init code and the escrow's balance carry over.
        address token;
        bytes memory initCode;
        uint256 balance;
        for (uint256 i; i < invoices.length; ++i) {
            Invoice calldata invoice = invoices[i];
            address payer = payers[i];
            if (payer == address(0)) revert PaymentEscrowInvalidAddress(payer);
            _checkTermsShape(invoice);
            if (i == 0 || invoice.token != token) {
                token = invoice.token;
                initCode = _forwarderInitCode(token);
                balance = _selfBalance(token);
            }
            bytes32 hash = _hashInvoice(invoice);
            Create2.deploy(0, hash, initCode);
            uint256 received = _selfBalance(token) - balance;
            balance += received;
            if (received != 0 && !_recordDeposit(invoice, hash, payer, received, capturing ? feeBps[i] : 0, capturing))
            {
                // Safe: `received` was just added to `balance`, and the return sent exactly that.
                unchecked {
                    balance -= received;
                }
            }
        }
    }

    function _selfBalance(address token) private view returns (uint256) {
        return token == address(0) ? address(this).balance : IERC20(token).balanceOf(address(this));
    }

    /// @dev Books a deposit that reached the escrow; returns false if it was sent back to the payer.
    function _recordDeposit(
        Invoice calldata invoice,
        bytes32 hash,
        address payer,
        uint256 received,
        uint16 feeBps,
        bool capturing
    ) private returns (bool kept) {
        Payment memory p = _payments[hash];
        bool acceptable = block.timestamp <= invoice.paymentDeadline && _allowedTokens[invoice.token]
            && received <= type(uint88).max - p.amount;
        if (acceptable && p.status == Status.None && (invoice.payer == address(0) || invoice.payer == payer)) {
            emit InvoicePaid(hash, invoice.storeId, payer, invoice, received);
            // The casts are safe: received <= type(uint88).max was checked with p.amount == 0.
            if (capturing && received == invoice.amount && block.timestamp < invoice.authorizationExpiry) {
                _credit(invoice, hash, payer, uint88(received), feeBps, 0);
            } else {
                _payments[hash] = Payment(payer, uint88(received), Status.Authorized);
            }
            return true;
        }
        if (acceptable && p.status == Status.Authorized && p.payer == payer) {
            // The cast is safe: p.amount + received <= type(uint88).max was checked above.
            uint88 held = p.amount + uint88(received);
            _payments[hash] = Payment(payer, held, Status.Authorized);
            emit PaymentIncreased(hash, invoice.storeId, received, held);
            return true;
        }
        emit DepositReturned(hash, invoice.storeId, payer, received);
        _send(invoice.token, payer, received);
        return false;
    }
}
