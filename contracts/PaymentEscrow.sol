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

import {DepositForwarder} from "./DepositForwarder.sol";
import {IDepositSweeper} from "./interfaces/IDepositSweeper.sol";
import {IPaymentEscrow} from "./interfaces/IPaymentEscrow.sol";

/// @title PaymentEscrow
/// @notice Point-of-sale payment escrow, version 2: pay (authorize), capture, void, reclaim, refund,
/// settle, and per-invoice deposit addresses swept by the operator with an accountable attestation.
/// @dev Every payment is one storage slot keyed by the invoice's EIP-712 digest; the terms come back
/// in calldata on every later call and are checked by hashing them again. Every other balance is
/// pooled per token: nothing on chain is keyed by, or names, a store.
contract PaymentEscrow is
    IPaymentEscrow,
    IDepositSweeper,
    EIP712,
    AccessControl,
    Pausable,
    ReentrancyGuardTransient
{
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentEscrow
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    /// @inheritdoc IPaymentEscrow
    uint256 public constant RETURN_GAS = 50_000;

    bytes32 private constant _INVOICE_TYPEHASH = keccak256(
        "Invoice(bytes32 storeCommitment,address token,uint256 amount,address payer,uint48 paymentDeadline,"
        "uint48 authorizationExpiry,uint48 refundDeadline)"
    );

    /// @dev Transient slots of {forwarding}: `token | expectedEth << 160`, then the expected token
    /// amount (two slots, not three: ETH amounts fit 96 bits, more wei than exist).
    bytes32 private constant _FORWARDING_SLOT = keccak256("coinpos.PaymentEscrow.forwarding");

    /// @dev The pool of a token is one word, read by every operation on the token: the allow-list
    /// and pause flags live with the totals, so pay reads one slot for all, and the slot never
    /// returns to zero once the token was listed (no 20k re-creation in steady state). The paused
    /// bit mirrors the global pause for every listed token, so a hot path needs no extra slot read.
    /// Low to high bits: held (112) | captured (112) | allowed (bit 224) | listed (225) | paused (226).
    /// Kept as a raw word so an operation reads and writes it once, with no struct decoding.
    uint256 private constant _FIELD = type(uint112).max;
    uint256 private constant _CAPTURED_SHIFT = 112;
    uint256 private constant _ALLOWED = 1 << 224;
    uint256 private constant _LISTED = 1 << 225;
    uint256 private constant _PAUSED = 1 << 226;

    /// @dev Fees collected at settlement and returns owed; touched only by settle, fee withdrawals
    /// and failed returns.
    struct PoolOwed {
        uint128 fees;
        uint128 owed;
    }

    /// @dev A return to send once every booking of a sweep is written (checks-effects-interactions).
    struct PendingReturn {
        address token;
        address to;
        uint256 amount;
        bytes32 invoiceHash;
    }

    /// @dev The current run of same-token deposits in a sweep, written to storage once per run.
    struct Run {
        address token;
        uint256 pool;
        bool dirty;
        uint256 balanceBefore;
        uint256 inflow;
        uint256 head; // the forwarding slots as last written, so an unchanged one is not written again
        uint256 expected;
    }

    /// @dev The returns a call collects; allocated on the first one, grown by doubling.
    struct Returns {
        PendingReturn[] items;
        uint256 count;
    }

    bytes32 private immutable _forwarderCodeHash;

    mapping(bytes32 invoiceHash => Payment) private _payments;
    mapping(address token => uint256 word) private _pools;
    mapping(address token => PoolOwed) private _poolOwed;
    mapping(address account => mapping(address token => uint256)) private _owed;
    mapping(bytes32 reference_ => bool) private _usedReferences;
    /// @dev Every token ever listed, so a pause reaches each pool's flag.
    address[] private _tokens;
    address private _treasury;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param admin Given DEFAULT_ADMIN_ROLE: grants OPERATOR_ROLE, manages the allow list, pauses.
    /// @param treasury_ Receives settlements.
    constructor(address admin, address treasury_) EIP712("CoinposPaymentEscrow", "2") {
        if (admin == address(0)) revert PaymentEscrowInvalidAddress(admin);
        if (treasury_ == address(0)) revert PaymentEscrowInvalidAddress(treasury_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _treasury = treasury_;
        _forwarderCodeHash = keccak256(type(DepositForwarder).creationCode);
        emit TreasurySet(address(0), treasury_);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentEscrow
    function invoiceHash(Invoice calldata invoice) external view returns (bytes32) {
        return _hashInvoice(invoice);
    }

    /// @inheritdoc IPaymentEscrow
    function payment(bytes32 invoiceHash_) external view returns (Payment memory) {
        return _payments[invoiceHash_];
    }

    /// @inheritdoc IPaymentEscrow
    function pool(address token) external view returns (uint256 held, uint256 captured, uint256 fees, uint256 owed) {
        uint256 word = _pools[token];
        PoolOwed memory o = _poolOwed[token];
        return (_held(word), _captured(word), o.fees, o.owed);
    }

    /// @inheritdoc IPaymentEscrow
    function owedTo(address account, address token) external view returns (uint256) {
        return _owed[account][token];
    }

    /// @inheritdoc IPaymentEscrow
    function isTokenAllowed(address token) external view returns (bool) {
        return _pools[token] & _ALLOWED != 0;
    }

    /// @inheritdoc IPaymentEscrow
    function isReferenceUsed(bytes32 reference_) external view returns (bool) {
        return _usedReferences[reference_];
    }

    /// @inheritdoc IPaymentEscrow
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IDepositSweeper
    function depositAddress(Invoice calldata invoice) external view returns (address) {
        return _depositAddress(_hashInvoice(invoice));
    }

    /// @inheritdoc IDepositSweeper
    function forwarding() external view returns (address token, uint256 expectedToken, uint256 expectedEth) {
        bytes32 slot = _FORWARDING_SLOT;
        assembly ("memory-safe") {
            let head := tload(slot)
            token := and(head, 0xffffffffffffffffffffffffffffffffffffffff)
            expectedEth := shr(160, head)
            expectedToken := tload(add(slot, 1))
        }
    }

    /*//////////////////////////////////////////////////////////////
                               PAYMENT FLOW
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentEscrow
    function pay(Invoice calldata invoice, bytes calldata operatorSignature) external payable nonReentrant {
        if (invoice.token == address(0)) {
            if (msg.value != invoice.amount) revert PaymentEscrowWrongValue(invoice.amount, msg.value);
            _authorize(invoice, operatorSignature);
        } else {
            if (msg.value != 0) revert PaymentEscrowWrongValue(0, msg.value);
            _authorize(invoice, operatorSignature);
            _pullExact(IERC20(invoice.token), invoice.amount);
        }
    }

    /// @inheritdoc IPaymentEscrow
    function payWithPermit(
        Invoice calldata invoice,
        bytes calldata operatorSignature,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        if (invoice.token == address(0)) revert PaymentEscrowPermitForEth(_hashInvoice(invoice));
        _authorize(invoice, operatorSignature);
        // Anyone can submit a permit seen in the mempool first; the allowance it set is then already
        // there, so a failed permit is not an error. The pull below decides.
        try IERC20Permit(invoice.token).permit(msg.sender, address(this), invoice.amount, permitDeadline, v, r, s) {}
            catch {}
        _pullExact(IERC20(invoice.token), invoice.amount);
    }

    /// @inheritdoc IPaymentEscrow
    function capture(Invoice calldata invoice, uint256 amount) external nonReentrant onlyRole(OPERATOR_ROLE) {
        _capture(invoice, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function captureMany(Invoice[] calldata invoices, uint256[] calldata amounts)
        external
        nonReentrant
        onlyRole(OPERATOR_ROLE)
    {
        if (amounts.length != invoices.length) revert PaymentEscrowLengthMismatch(invoices.length, amounts.length);
        for (uint256 i; i < invoices.length; ++i) {
            _capture(invoices[i], amounts[i]);
        }
    }

    /// @inheritdoc IPaymentEscrow
    function void(Invoice calldata invoice) external nonReentrant onlyRole(OPERATOR_ROLE) {
        uint256 word = _unpausedPool(invoice.token);
        (bytes32 hash, Payment memory p) = _heldPayment(invoice);
        _setPayment(hash, p.payer, 0, Status.Closed);
        _pools[invoice.token] = _lessHeld(word, p.amount);
        emit PaymentVoided(hash, p.amount);
        _returnOrOwe(invoice.token, p.payer, p.amount, hash);
    }

    /// @inheritdoc IPaymentEscrow
    function reclaim(Invoice calldata invoice) external nonReentrant {
        (bytes32 hash, Payment memory p) = _heldPayment(invoice);
        if (msg.sender != p.payer) revert PaymentEscrowPayerMismatch(hash, p.payer, msg.sender);
        if (block.timestamp < invoice.authorizationExpiry) {
            revert PaymentEscrowAuthorizationNotExpired(hash, invoice.authorizationExpiry, block.timestamp);
        }
        // Cleared rather than Closed: from the authorization expiry on, nothing can pay (the payment
        // deadline is not later) or capture this invoice, and a sweep returns every deposit, so None
        // and Closed behave alike; clearing the slot refunds gas that pays for the pool update.
        delete _payments[hash];
        _pools[invoice.token] = _lessHeld(_pools[invoice.token], p.amount);
        emit PaymentReclaimed(hash, p.amount);
        _send(invoice.token, p.payer, p.amount);
    }

    /// @inheritdoc IPaymentEscrow
    function refund(Invoice calldata invoice, uint256 amount) external nonReentrant onlyRole(OPERATOR_ROLE) {
        uint256 word = _unpausedPool(invoice.token);
        bytes32 hash = _hashInvoice(invoice);
        Payment memory p = _payments[hash];
        if (p.status != Status.Captured) revert PaymentEscrowInvalidStatus(hash, Status.Captured, p.status);
        if (block.timestamp > invoice.refundDeadline) {
            revert PaymentEscrowRefundDeadlinePassed(hash, invoice.refundDeadline, block.timestamp);
        }
        if (amount == 0) revert PaymentEscrowZeroAmount();
        if (amount > p.amount) revert PaymentEscrowInsufficientRefundable(hash, p.amount, amount);
        // Safe: amount <= p.amount was checked just above; _lessCaptured checks the pool.
        unchecked {
            _setPayment(hash, p.payer, p.amount - uint88(amount), Status.Captured);
        }
        _pools[invoice.token] = _lessCaptured(word, invoice.token, amount);
        emit PaymentRefunded(hash, amount);
        _returnOrOwe(invoice.token, p.payer, amount, hash);
    }

    /// @inheritdoc IPaymentEscrow
    function settle(address token, uint256 payout, uint256 fees, bytes32 reference_)
        external
        nonReentrant
        onlyRole(OPERATOR_ROLE)
    {
        uint256 word = _unpausedPool(token);
        if (_usedReferences[reference_]) revert PaymentEscrowReferenceUsed(reference_);
        uint256 total = payout + fees;
        if (total == 0) revert PaymentEscrowZeroAmount();
        word = _lessCaptured(word, token, total);
        _usedReferences[reference_] = true;
        _pools[token] = word;
        _poolOwed[token].fees += uint128(fees);
        emit Settled(token, payout, fees, reference_);
        if (payout != 0) _send(token, _treasury, payout);
    }

    /// @inheritdoc IPaymentEscrow
    function withdrawOwed(address token, address to) external nonReentrant {
        if (to == address(0)) revert PaymentEscrowInvalidAddress(to);
        uint256 amount = _owed[msg.sender][token];
        if (amount == 0) revert PaymentEscrowNothingOwed(msg.sender, token);
        _owed[msg.sender][token] = 0;
        // Safe: every owed balance was added to the pool's owed total, which is their sum.
        unchecked {
            _poolOwed[token].owed -= uint128(amount);
        }
        emit OwedWithdrawn(msg.sender, token, to, amount);
        _send(token, to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                              DEPOSIT ADDRESSES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDepositSweeper
    function sweep(Deposit[] calldata deposits) external nonReentrant onlyRole(OPERATOR_ROLE) whenNotPaused {
        bytes memory code = type(DepositForwarder).creationCode;
        Run memory run = Run(address(0), 0, false, 0, 0, 0, 0);
        Returns memory queue = Returns(new PendingReturn[](0), 0);
        for (uint256 i; i < deposits.length; ++i) {
            Deposit calldata d = deposits[i];
            Invoice calldata invoice = d.invoice;
            _checkTermsShape(invoice);
            address token = invoice.token;
            if (i == 0 || token != run.token) {
                _closeRun(run);
                _openRun(run, token);
            }
            bytes32 hash = _hashInvoice(invoice);
            (uint256 tokenSum, uint256 ethSum) = _attested(d, hash);
            if (tokenSum == 0 && ethSum == 0) continue;
            bool forwarded = token == address(0)
                ? _forwardInRun(run, code, hash, _head(address(0), tokenSum, hash), 0)
                : _forwardInRun(run, code, hash, _head(token, ethSum, hash), tokenSum);
            if (!forwarded) {
                emit DepositSkipped(hash, token, tokenSum, ethSum);
                continue;
            }
            if (token != address(0)) run.inflow += tokenSum;
            if (ethSum != 0) _returnTransfers(d.ethTransfers, invoice.payer, address(0), hash, address(0), queue);
            if (tokenSum != 0) _book(d, hash, tokenSum, run, queue);
        }
        _closeRun(run);
        _clearForwarding();
        for (uint256 i; i < queue.count; ++i) {
            PendingReturn memory r = queue.items[i];
            _returnOrOwe(r.token, r.to, r.amount, r.invoiceHash);
        }
    }

    /// @inheritdoc IDepositSweeper
    function recoverToken(Invoice calldata invoice, address token, Transfer[] calldata transfers)
        external
        nonReentrant
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
    {
        bytes32 hash = _hashInvoice(invoice);
        if (token == invoice.token || token == address(0)) revert PaymentEscrowNotForeignToken(hash, token);
        uint256 sum = _sum(transfers, hash);
        if (sum == 0) return;
        uint256 before = IERC20(token).balanceOf(address(this));
        bool forwarded = _forward(type(DepositForwarder).creationCode, hash, _head(token, 0, hash), sum);
        _clearForwarding();
        if (!forwarded) {
            emit DepositSkipped(hash, token, sum, 0);
            return;
        }
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != sum) revert PaymentEscrowUnexpectedReceipt(token, sum, received);
        Returns memory queue = Returns(new PendingReturn[](0), 0);
        _returnTransfers(transfers, invoice.payer, address(0), hash, token, queue);
        for (uint256 i; i < queue.count; ++i) {
            PendingReturn memory r = queue.items[i];
            _returnOrOwe(r.token, r.to, r.amount, r.invoiceHash);
        }
    }

    /// @inheritdoc IDepositSweeper
    function reclaimDeposit(Invoice calldata invoice) external nonReentrant {
        bytes32 hash = _hashInvoice(invoice);
        address payer = invoice.payer;
        if (payer == address(0) || msg.sender != payer) revert PaymentEscrowPayerMismatch(hash, payer, msg.sender);
        if (block.timestamp < invoice.authorizationExpiry) {
            revert PaymentEscrowAuthorizationNotExpired(hash, invoice.authorizationExpiry, block.timestamp);
        }
        address at = _depositAddress(hash);
        address token = invoice.token;
        uint256 eth = at.balance;
        uint256 amount = token == address(0) ? 0 : IERC20(token).balanceOf(at);
        if (amount == 0 && eth == 0) revert PaymentEscrowNothingToReclaim(hash);
        if (!_forward(type(DepositForwarder).creationCode, hash, _head(token, eth, hash), amount)) {
            revert PaymentEscrowNothingToReclaim(hash);
        }
        _clearForwarding();
        if (token == address(0)) {
            emit DepositReclaimed(hash, payer, eth, 0);
        } else {
            emit DepositReclaimed(hash, payer, amount, eth);
            if (amount != 0) IERC20(token).safeTransfer(payer, amount);
        }
        if (eth != 0) Address.sendValue(payable(payer), eth);
    }

    /*//////////////////////////////////////////////////////////////
                                  ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentEscrow
    function withdrawFees(address token, address to)
        external
        nonReentrant
        onlyRole(DEFAULT_ADMIN_ROLE)
        whenNotPaused
    {
        if (to == address(0)) revert PaymentEscrowInvalidAddress(to);
        uint256 amount = _poolOwed[token].fees;
        if (amount == 0) revert PaymentEscrowNoFees(token);
        _poolOwed[token].fees = 0;
        emit FeesWithdrawn(token, to, amount);
        _send(token, to, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function setTokenAllowed(address token, bool allowed) external nonReentrant onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 word = _pools[token];
        if (word & _LISTED == 0) {
            word |= _LISTED | (paused() ? _PAUSED : 0);
            _tokens.push(token);
        }
        _pools[token] = allowed ? word | _ALLOWED : word & ~_ALLOWED;
        emit TokenAllowedSet(token, allowed);
    }

    /// @inheritdoc IPaymentEscrow
    function setTreasury(address treasury_) external nonReentrant onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert PaymentEscrowInvalidAddress(treasury_);
        emit TreasurySet(_treasury, treasury_);
        _treasury = treasury_;
    }

    /// @inheritdoc IPaymentEscrow
    function pause() external nonReentrant onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
        _setPoolsPaused(true);
    }

    /// @inheritdoc IPaymentEscrow
    function unpause() external nonReentrant onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
        _setPoolsPaused(false);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _hashInvoice(Invoice calldata invoice) private view returns (bytes32) {
        // Every field is static, so the struct's 7 calldata words are exactly EIP-712 encodeData;
        // copied as they are (abi.encode would copy them word by word). A field with dirty high
        // bits only gives another digest, which no operator signed and no payment has.
        bytes32 typehash = _INVOICE_TYPEHASH;
        bytes32 structHash;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typehash)
            calldatacopy(add(ptr, 0x20), invoice, 0xe0)
            structHash := keccak256(ptr, 0x100)
        }
        return _hashTypedDataV4(structHash);
    }

    function _depositAddress(bytes32 hash) private view returns (address) {
        return Create2.computeAddress(hash, _forwarderCodeHash);
    }

    /// @dev The token's pool, after the pause check (the pool's mirror of the global flag).
    function _unpausedPool(address token) private view returns (uint256 word) {
        word = _pools[token];
        if (word & _PAUSED != 0) revert EnforcedPause();
    }

    function _held(uint256 word) private pure returns (uint256) {
        return word & _FIELD;
    }

    function _captured(uint256 word) private pure returns (uint256) {
        return (word >> _CAPTURED_SHIFT) & _FIELD;
    }

    /// @dev The pool word with `amount` more held; reverts if the total no longer fits 112 bits.
    function _plusHeld(uint256 word, uint256 amount) private pure returns (uint256) {
        uint256 held = _held(word) + amount;
        if (held > _FIELD) revert PaymentEscrowAmountTooLarge(held, _FIELD);
        // Safe: the held field stays within its 112 bits, so nothing carries into `captured`.
        unchecked {
            return word + amount;
        }
    }

    /// @dev The pool word with `amount` less held. Every held payment was added to the total, so
    /// `amount` (a payment's held amount) never exceeds it; checked anyway.
    function _lessHeld(uint256 word, uint256 amount) private pure returns (uint256) {
        if (amount > _held(word)) revert PaymentEscrowAmountTooLarge(amount, _held(word));
        // Safe: amount <= held, so nothing borrows from `captured`.
        unchecked {
            return word - amount;
        }
    }

    function _plusCaptured(uint256 word, uint256 amount) private pure returns (uint256) {
        uint256 captured = _captured(word) + amount;
        if (captured > _FIELD) revert PaymentEscrowAmountTooLarge(captured, _FIELD);
        // Safe: the captured field stays within its 112 bits, so nothing carries into the flags.
        unchecked {
            return word + (amount << _CAPTURED_SHIFT);
        }
    }

    function _lessCaptured(uint256 word, address token, uint256 amount) private pure returns (uint256) {
        uint256 captured = _captured(word);
        if (amount > captured) revert PaymentEscrowInsufficientCaptured(token, captured, amount);
        // Safe: amount <= captured, so the field does not borrow.
        unchecked {
            return word - (amount << _CAPTURED_SHIFT);
        }
    }

    /// @dev Writes a payment in one SSTORE, in Solidity's layout for `Payment`: payer (160), amount
    /// (88), status (8).
    function _setPayment(bytes32 hash, address payer, uint88 amount, Status status) private {
        Payment storage stored = _payments[hash];
        assembly ("memory-safe") {
            sstore(stored.slot, or(or(payer, shl(160, amount)), shl(248, status)))
        }
    }

    function _setPoolsPaused(bool paused_) private {
        uint256 n = _tokens.length;
        for (uint256 i; i < n; ++i) {
            address token = _tokens[i];
            _pools[token] = paused_ ? _pools[token] | _PAUSED : _pools[token] & ~_PAUSED;
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
    }

    /// @dev Checks the terms, the pool and the operator's signature, then records a direct payment by
    /// msg.sender of the full invoice amount (before any funds move: checks-effects-interactions).
    function _authorize(Invoice calldata invoice, bytes calldata signature) private {
        _checkTermsShape(invoice);
        uint256 word = _unpausedPool(invoice.token);
        if (word & _ALLOWED == 0) revert PaymentEscrowTokenNotAllowed(invoice.token);
        bytes32 hash = _hashInvoice(invoice);
        (address signer,,) = ECDSA.tryRecoverCalldata(hash, signature);
        if (signer == address(0) || !hasRole(OPERATOR_ROLE, signer)) {
            revert PaymentEscrowInvalidSignature(hash, signer);
        }
        if (block.timestamp > invoice.paymentDeadline) {
            revert PaymentEscrowPaymentDeadlinePassed(hash, invoice.paymentDeadline, block.timestamp);
        }
        if (invoice.payer != address(0) && invoice.payer != msg.sender) {
            revert PaymentEscrowPayerMismatch(hash, invoice.payer, msg.sender);
        }
        Status status = _payments[hash].status;
        if (status != Status.None) revert PaymentEscrowInvalidStatus(hash, Status.None, status);
        // The casts are safe: _checkTermsShape bounds the amount to uint88; the pool total is checked.
        _setPayment(hash, msg.sender, uint88(invoice.amount), Status.Authorized);
        _pools[invoice.token] = _plusHeld(word, invoice.amount);
        emit InvoicePaid(hash, msg.sender, invoice.token, invoice.amount);
    }

    /// @dev Pulls `amount` from msg.sender and rejects a token that delivers anything else.
    function _pullExact(IERC20 token, uint256 amount) private {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert PaymentEscrowUnexpectedReceipt(address(token), amount, received);
    }

    function _capture(Invoice calldata invoice, uint256 amount) private {
        uint256 word = _unpausedPool(invoice.token);
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
        // The cast is safe: amount <= p.amount, a uint88. The payment keeps the gross amount as
        // refundable, so a refund may give the payer everything back.
        _setPayment(hash, p.payer, uint88(amount), Status.Captured);
        _pools[invoice.token] = _plusCaptured(_lessHeld(word, p.amount), amount);
        emit PaymentCaptured(hash, amount, released);
        if (released != 0) _returnOrOwe(invoice.token, p.payer, released, hash);
    }

    /// @dev The digest and state of a payment whose funds are held (status Authorized).
    function _heldPayment(Invoice calldata invoice) private view returns (bytes32 hash, Payment memory p) {
        hash = _hashInvoice(invoice);
        p = _payments[hash];
        if (p.status != Status.Authorized) revert PaymentEscrowInvalidStatus(hash, Status.Authorized, p.status);
    }

    /// @dev A send the recipient asked for (reclaim, withdrawal) or to the exchange's own accounts:
    /// reverts on failure.
    function _send(address token, address to, uint256 amount) private {
        if (token == address(0)) Address.sendValue(payable(to), amount);
        else IERC20(token).safeTransfer(to, amount);
    }

    /// @dev A send back to a payer or sender that must never block the operation: ETH with at most
    /// RETURN_GAS gas (no return data copied), a token through a low-level transfer; on any failure
    /// the amount is credited to the recipient's owed balance. Returns whether it was sent.
    function _returnOrOwe(address token, address to, uint256 amount, bytes32 hash) private returns (bool sent) {
        if (token == address(0)) {
            assembly ("memory-safe") {
                sent := call(RETURN_GAS, to, amount, 0, 0, 0, 0)
            }
        } else {
            sent = IERC20(token).trySafeTransfer(to, amount);
        }
        if (!sent) {
            _owed[to][token] += amount;
            _poolOwed[token].owed += uint128(amount);
            emit ReturnOwed(to, token, amount, hash);
        }
    }

    /*//////////////////////////////////////////////////////////////
                           DEPOSIT INTERNALS
    //////////////////////////////////////////////////////////////*/

    /// @dev Starts a run of deposits in `token`: its pool in memory, and the escrow's balance, which
    /// `_closeRun` compares with what the forwarders moved in.
    function _openRun(Run memory run, address token) private view {
        run.token = token;
        run.pool = _pools[token];
        run.dirty = false;
        run.inflow = 0;
        run.balanceBefore = token == address(0) ? 0 : IERC20(token).balanceOf(address(this));
    }

    /// @dev Ends a run: the pool written once, and one balance check. ETH needs none: a self-destruct
    /// moves exactly the balance the forwarder checked.
    function _closeRun(Run memory run) private {
        if (run.dirty) _pools[run.token] = run.pool;
        if (run.inflow != 0) {
            uint256 expected = run.balanceBefore + run.inflow;
            uint256 balance = IERC20(run.token).balanceOf(address(this));
            // At least: anyone may add to the escrow's balance (a donation), but never take from it.
            if (balance < expected) revert PaymentEscrowUnexpectedReceipt(run.token, expected, balance);
        }
    }

    /// @dev The attested sums of a deposit; a transfer without sender or amount, or ETH transfers
    /// attested for an ETH invoice, revert the batch (the operator's own malformed input).
    function _attested(Deposit calldata d, bytes32 hash) private pure returns (uint256 tokenSum, uint256 ethSum) {
        tokenSum = _sum(d.transfers, hash);
        if (d.ethTransfers.length != 0) {
            if (d.invoice.token == address(0)) revert PaymentEscrowInvalidTransfer(hash);
            ethSum = _sum(d.ethTransfers, hash);
        }
    }

    function _sum(Transfer[] calldata transfers, bytes32 hash) private pure returns (uint256 sum) {
        for (uint256 i; i < transfers.length; ++i) {
            Transfer calldata t = transfers[i];
            if (t.sender == address(0) || t.amount == 0) revert PaymentEscrowInvalidTransfer(hash);
            sum += t.amount;
        }
    }

    /// @dev Creates the forwarder at the deposit address of `hash`, which moves exactly the expected
    /// balances to the escrow, or reverts (then nothing moved and this returns false).
    function _forward(bytes memory code, bytes32 hash, uint256 head, uint256 expectedToken) private returns (bool) {
        bytes32 slot = _FORWARDING_SLOT;
        address created;
        assembly ("memory-safe") {
            tstore(slot, head)
            tstore(add(slot, 1), expectedToken)
            created := create2(0, add(code, 0x20), mload(code), hash)
        }
        return created != address(0);
    }

    /// @dev {_forward} within a sweep: a forwarding slot whose value did not change is not written again.
    function _forwardInRun(Run memory run, bytes memory code, bytes32 hash, uint256 head, uint256 expectedToken)
        private
        returns (bool)
    {
        bytes32 slot = _FORWARDING_SLOT;
        address created;
        uint256 lastHead = run.head;
        uint256 lastExpected = run.expected;
        assembly ("memory-safe") {
            if iszero(eq(head, lastHead)) { tstore(slot, head) }
            if iszero(eq(expectedToken, lastExpected)) { tstore(add(slot, 1), expectedToken) }
            created := create2(0, add(code, 0x20), mload(code), hash)
        }
        run.head = head;
        run.expected = expectedToken;
        return created != address(0);
    }

    /// @dev The first forwarding slot: the token and the expected ETH (which must fit 96 bits).
    function _head(address token, uint256 expectedEth, bytes32 hash) private pure returns (uint256) {
        if (expectedEth > type(uint96).max) revert PaymentEscrowInvalidTransfer(hash);
        return uint256(uint160(token)) | (expectedEth << 160);
    }

    function _clearForwarding() private {
        bytes32 slot = _FORWARDING_SLOT;
        assembly ("memory-safe") {
            tstore(slot, 0)
            tstore(add(slot, 1), 0)
        }
    }

    /// @dev Books the invoice-token transfers of a deposit that reached the escrow: kept (first
    /// payment or top-up) or returned, one fate event per attested transfer.
    function _book(Deposit calldata d, bytes32 hash, uint256 tokenSum, Run memory run, Returns memory queue)
        private
    {
        Invoice calldata invoice = d.invoice;
        Transfer[] calldata transfers = d.transfers;
        Payment memory p = _payments[hash];
        bool keep = block.timestamp < invoice.authorizationExpiry && run.pool & _ALLOWED != 0
            && (p.status == Status.None || p.status == Status.Authorized);
        address payer = invoice.payer;
        uint256 kept = 0;
        if (payer != address(0)) {
            // Named payer: the money is the payer's whatever the attested sender (defect 1.1).
            kept = keep && tokenSum <= type(uint88).max - p.amount ? tokenSum : 0;
        } else if (keep) {
            // Open invoice: the largest sender pays, every other sender's part goes back (defect 1.4).
            payer = transfers.length == 1 ? transfers[0].sender : _largestSender(transfers);
            if (p.status == Status.Authorized && payer != p.payer) {
                uint256 challenger = _totalOf(transfers, payer);
                // An underpaid held payment (dust swept on its own, say) gives way to a larger one
                // from another sender: it goes back to its payer, and the larger one is the payment.
                if (
                    p.amount < invoice.amount && challenger > p.amount + _totalOf(transfers, p.payer)
                        && challenger <= type(uint88).max
                ) {
                    emit PaymentReplaced(hash, p.payer, p.amount);
                    _queue(queue, PendingReturn(invoice.token, p.payer, p.amount, hash));
                    run.pool = _lessHeld(run.pool, p.amount);
                    run.dirty = true;
                    p.amount = 0;
                } else {
                    payer = p.payer;
                }
            }
            kept = transfers.length == 1 ? (transfers[0].sender == payer ? tokenSum : 0) : _totalOf(transfers, payer);
            if (kept > type(uint88).max - p.amount) kept = 0;
        }
        if (kept == 0) {
            _returnTransfers(transfers, invoice.payer, address(0), hash, invoice.token, queue);
            return;
        }
        if (transfers.length == 1) {
            // The common case, one transfer, kept: its event without the general loop.
            Transfer calldata t = transfers[0];
            emit DepositKept(hash, t.sender, t.amount, t.txHash, t.logIndex);
        } else if (invoice.payer != address(0)) {
            for (uint256 i; i < transfers.length; ++i) {
                Transfer calldata t = transfers[i];
                emit DepositKept(hash, t.sender, t.amount, t.txHash, t.logIndex);
            }
        } else {
            _returnTransfers(transfers, address(0), payer, hash, invoice.token, queue);
        }
        // The casts are safe: p.amount + kept <= type(uint88).max was checked above.
        uint88 amount = p.amount + uint88(kept);
        if (d.capture && amount == invoice.amount) {
            _setPayment(hash, payer, amount, Status.Captured);
            run.pool = _plusCaptured(_lessHeld(run.pool, p.amount), amount);
            emit PaymentCaptured(hash, amount, 0);
        } else {
            _setPayment(hash, payer, amount, Status.Authorized);
            run.pool = _plusHeld(run.pool, kept);
        }
        run.dirty = true;
    }

    function _totalOf(Transfer[] calldata transfers, address sender) private pure returns (uint256 total) {
        for (uint256 i; i < transfers.length; ++i) {
            if (transfers[i].sender == sender) total += transfers[i].amount;
        }
    }

    /// @dev The sender whose transfers add up to the most (ties: the first in the list).
    function _largestSender(Transfer[] calldata transfers) private pure returns (address best) {
        best = transfers[0].sender;
        if (transfers.length == 1) return best;
        uint256 bestTotal = 0;
        for (uint256 i; i < transfers.length; ++i) {
            address sender = transfers[i].sender;
            uint256 total = 0;
            for (uint256 j; j < transfers.length; ++j) {
                if (transfers[j].sender == sender) total += transfers[j].amount;
            }
            if (total > bestTotal) {
                bestTotal = total;
                best = sender;
            }
        }
    }

    /// @dev Emits the fate of each transfer and queues the returns. `namedPayer` != 0: every transfer
    /// goes back to it (one send). Else each goes back to its sender, except those of `keeper`, which
    /// are kept ({DepositKept}); `keeper` = 0 returns all.
    function _returnTransfers(
        Transfer[] calldata transfers,
        address namedPayer,
        address keeper,
        bytes32 hash,
        address token,
        Returns memory queue
    ) private {
        uint256 toPayer = 0;
        for (uint256 i; i < transfers.length; ++i) {
            Transfer calldata t = transfers[i];
            if (namedPayer != address(0)) {
                toPayer += t.amount;
                emit DepositReturned(hash, namedPayer, token, t.amount, t.txHash, t.logIndex);
            } else if (keeper != address(0) && t.sender == keeper) {
                emit DepositKept(hash, t.sender, t.amount, t.txHash, t.logIndex);
            } else {
                emit DepositReturned(hash, t.sender, token, t.amount, t.txHash, t.logIndex);
                _queue(queue, PendingReturn(token, t.sender, t.amount, hash));
            }
        }
        if (toPayer != 0) _queue(queue, PendingReturn(token, namedPayer, toPayer, hash));
    }

    function _queue(Returns memory queue, PendingReturn memory r) private pure {
        if (queue.count == queue.items.length) {
            PendingReturn[] memory grown = new PendingReturn[](queue.count == 0 ? 8 : 2 * queue.count);
            for (uint256 i; i < queue.count; ++i) {
                grown[i] = queue.items[i];
            }
            queue.items = grown;
        }
        queue.items[queue.count++] = r;
    }
}
