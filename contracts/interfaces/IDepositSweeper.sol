// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPaymentEscrow} from "./IPaymentEscrow.sol";

/// @title IDepositSweeper
/// @notice Per-invoice virtual deposit addresses. Each invoice has a counterfactual CREATE2 address
/// whose deployer is the escrow and whose salt is the invoice digest, so nobody else can ever put
/// code there. A payer pays it with a plain ETH or ERC-20 transfer from any wallet; the operator
/// later sweeps many invoices in one call, attesting every transfer it observed.
/// @dev The deposit address is CREATE2(escrow, salt = invoiceHash, keccak256(creation code of
/// `DepositForwarder`)). The forwarder's init code is constant (no constructor argument), so neither
/// its code nor the address depends on the store, the token or the amount. Created by a sweep, the
/// forwarder asks the escrow what it should find ({forwarding}); if its balances differ it reverts
/// (the CREATE2 fails, the escrow emits {DepositSkipped}, the funds stay at the address for a later
/// sweep); else it moves the token to the escrow and self-destructs, sending the escrow its ETH.
/// Under EIP-6780 the account is removed in the same transaction, so the address keeps accepting
/// plain transfers (even ETH with a 2,300-gas stipend) and can be swept again.
///
/// Every attested transfer gets exactly one fate event, {DepositKept} or {DepositReturned}, with its
/// transaction hash and log index, so an attestation that does not match the chain (a wrong sender,
/// amount or transfer) is provable from the chain's own logs. A returned transfer whose send fails is
/// credited to the recipient's owed balance: {IPaymentEscrow-ReturnOwed} follows its DepositReturned.
interface IDepositSweeper {
    /// @notice One transfer the operator observed arriving at a deposit address.
    /// @dev `logIndex` is the ERC-20 Transfer log's index in its block; a plain ETH transaction has
    /// no log: `logIndex = type(uint32).max`. (ETH moved by an internal call: the index of the call
    /// in the operator's own numbering, below type(uint32).max; the ledger flags it for staff.)
    struct Transfer {
        address sender;
        uint256 amount;
        bytes32 txHash;
        uint32 logIndex;
    }

    /// @notice What one invoice's deposit address holds, as attested by the operator.
    /// @dev `transfers`: the invoice's own token (ETH for an ETH invoice); their amounts must add up
    /// to the address's balance. `ethTransfers`: ETH that arrived at an ERC-20 invoice's address,
    /// which always goes back to its senders (must be empty for an ETH invoice); their amounts must
    /// add up to the address's ETH balance. `capture`: capture the payment at once when, after this
    /// deposit, it holds exactly the invoice amount and it is before the authorization expiry.
    struct Deposit {
        IPaymentEscrow.Invoice invoice;
        Transfer[] transfers;
        Transfer[] ethTransfers;
        bool capture;
    }

    /// @notice The deposit address's balances did not match the attestation (or another transfer
    /// arrived since), so nothing moved: the funds stay at the address for a later sweep.
    /// `expectedToken` is the attested sum in `token` (the invoice token, or the token of
    /// {recoverToken}); `expectedEth` the attested ETH (for an ETH invoice, in `expectedToken`).
    event DepositSkipped(bytes32 indexed invoiceHash, address token, uint256 expectedToken, uint256 expectedEth);

    /// @notice The attested transfer became (part of) the invoice's payment: the first payment, or a
    /// top-up of the payment still held. The payer of record is the invoice's payer when it names one
    /// (whatever `sender` says), else `sender` (every kept transfer of an open invoice has the payer
    /// of record as sender). When the sweep captures, {IPaymentEscrow-PaymentCaptured} follows the
    /// deposit's DepositKept events.
    event DepositKept(bytes32 indexed invoiceHash, address indexed sender, uint256 amount, bytes32 txHash, uint32 logIndex);

    /// @notice The attested transfer of `amount` of `token` was sent back to `to`: the sender, or the
    /// invoice's payer when it names one. Why: another sender than the payer of record (open
    /// invoice), the payment captured or closed, at or after the authorization expiry, the token not
    /// allowed, above what the payment state holds, ETH at an ERC-20 invoice's address, or another
    /// token ({recoverToken}). If the send failed, {IPaymentEscrow-ReturnOwed} follows.
    event DepositReturned(
        bytes32 indexed invoiceHash,
        address indexed to,
        address token,
        uint256 amount,
        bytes32 txHash,
        uint32 logIndex
    );

    /// @notice An open invoice's held payment of `amount`, below the invoice amount, was sent back to
    /// its payer `previousPayer` because a deposit from another sender that adds up to more arrived:
    /// that deposit's {DepositKept} events follow and make the new payment (its sender is the payer
    /// of record from now on). This is what keeps a 1-wei dust transfer, swept on its own before the
    /// real payment arrived, from taking the payment over. If the send fails,
    /// {IPaymentEscrow-ReturnOwed} follows (after the whole batch's bookings).
    event PaymentReplaced(bytes32 indexed invoiceHash, address indexed previousPayer, uint256 amount);

    /// @notice The invoice's named payer pulled its unswept deposit address back after the
    /// authorization expiry: `amount` of the invoice token (for an ETH invoice: of ETH) and `ethAmount`
    /// of ETH that was at an ERC-20 invoice's address.
    event DepositReclaimed(bytes32 indexed invoiceHash, address indexed payer, uint256 amount, uint256 ethAmount);

    /// @notice A transfer's sender or amount is zero, or an ETH invoice came with `ethTransfers`.
    error PaymentEscrowInvalidTransfer(bytes32 invoiceHash);

    /// @notice {recoverToken} was asked for the invoice's own token, which {sweep} moves.
    error PaymentEscrowNotForeignToken(bytes32 invoiceHash, address token);

    /// @notice {reclaimDeposit} found nothing at the deposit address.
    error PaymentEscrowNothingToReclaim(bytes32 invoiceHash);

    /// @notice The deposit address of `invoice`. It depends only on this escrow and the invoice terms.
    function depositAddress(IPaymentEscrow.Invoice calldata invoice) external view returns (address);

    /// @notice What the forwarder being created should find at its address and move: the token
    /// (address(0) for none), its amount, and the ETH amount.
    /// @dev Read by `DepositForwarder`'s constructor from its creator; set in transient storage for
    /// the one CREATE2 in progress, zero at any other time.
    function forwarding() external view returns (address token, uint256 expectedToken, uint256 expectedEth);

    /// @notice Moves what arrived at each deposit address into the escrow and books every attested
    /// transfer (one {DepositKept} or {DepositReturned} each).
    /// @dev Requirements: OPERATOR_ROLE; not paused; every invoice's terms well formed (the operator's
    /// own call stands in for its signature); transfers with nonzero sender and amount. Per deposit:
    /// - the attested sums must equal the address's balances, else {DepositSkipped} and nothing moves
    ///   (the rest of the batch goes on);
    /// - ETH at an ERC-20 invoice's address: back to each sender (named payer: to the payer);
    /// - before the authorization expiry, the token allowed, the payment None or Authorized, and the
    ///   total within uint88, the deposit is kept (lateness against the payment deadline is the
    ///   exchange's judgement from the deposit's block, not the sweep's time):
    ///   - named payer: every transfer, whatever its attested sender, is the payer's;
    ///   - open invoice, first payment: transfers grouped by sender; the sender with the largest
    ///     total pays (ties: the first in the list), every other sender's transfers go back to it;
    ///   - payment held (top-up): the payer of record's transfers are added, others go back;
    ///     but an underpaid held payment gives way to another sender whose transfers add up to
    ///     more than the held amount plus the holder's new ones ({PaymentReplaced});
    /// - otherwise every transfer goes back (named payer: to the payer).
    /// Failed returns are owed, never reverted. `held` (and `captured`) are written once per run of
    /// deposits in the same token; the escrow's token balance is checked once per run (a token that
    /// delivers less than the forwarder sent reverts the batch: {IPaymentEscrow-PaymentEscrowUnexpectedReceipt}).
    function sweep(Deposit[] calldata deposits) external;

    /// @notice Sends another token than the invoice's (sent to its deposit address by mistake) back
    /// to its senders (named payer: to the payer), with the same attestation as {sweep}.
    /// @dev Requirements: OPERATOR_ROLE; not paused; `token` is not the invoice's token (nor ETH, which
    /// {sweep} handles); the attested sum equals the address's balance of `token` and the address
    /// holds no ETH (else {DepositSkipped}: sweep the ETH first). Emits {DepositReturned} per transfer.
    function recoverToken(IPaymentEscrow.Invoice calldata invoice, address token, Transfer[] calldata transfers)
        external;

    /// @notice The invoice's named payer takes back whatever sits unswept at the deposit address
    /// (the invoice token, or ETH, and any ETH at an ERC-20 invoice's address), without the operator.
    /// @dev Requirements: the invoice names a payer and the caller is it; at or after the
    /// authorization expiry; something is there. Works while paused. Independent of the payment's
    /// status (a held payment is taken back with {IPaymentEscrow-reclaim}). Open invoices have no such
    /// exit: the contract cannot tell who sent an ERC-20 transfer, so only the operator's attestation
    /// ({sweep}, which returns everything after the expiry) can send it back. Emits {DepositReclaimed}.
    function reclaimDeposit(IPaymentEscrow.Invoice calldata invoice) external;
}
