// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPaymentEscrowV1} from "./IPaymentEscrowV1.sol";

/// @custom:test-double The previous escrow design (v1), unchanged but renamed: the privacy test's positive control and the gas baseline.
/// @title IDepositSweeperV1
/// @notice Per-invoice virtual deposit addresses. Each invoice has a counterfactual CREATE2 address
/// whose deployer is the escrow and whose salt is the invoice digest, so nobody else can ever put
/// code there. A payer pays it with a plain ETH or ERC-20 transfer from any wallet; the operator
/// later sweeps many invoices in one call.
/// @dev Sweeping creates a `DepositForwarder` at the address; its constructor hands the balance to
/// the escrow and self-destructs in the same transaction, so (EIP-6780) no code is left there: the
/// address keeps accepting plain transfers, even ETH with a 2,300-gas stipend, and can be swept again.
interface IDepositSweeperV1 {
    /// @notice A deposit that cannot become (part of) a payment was sent back to `payer`: it arrived
    /// after the payment deadline, after the payment was captured or closed, from another payer than
    /// the invoice or the payment names, or above what the payment state can hold.
    event DepositReturned(
        bytes32 indexed invoiceHash, bytes32 indexed storeId, address indexed payer, uint256 amount
    );

    /// @notice The deposit address of `invoice`. It depends only on this escrow and the invoice terms.
    function depositAddress(IPaymentEscrowV1.Invoice calldata invoice) external view returns (address);

    /// @notice Moves what arrived at each invoice's deposit address into the escrow.
    /// @dev Requirements: OPERATOR_ROLE; not paused; equal lengths; every invoice's terms valid (the
    /// operator's own call stands in for its signature). Per invoice, with the amount that actually
    /// arrived (measured by the escrow's balance before and after): nothing arrived, skipped; a
    /// first payment in time, from the invoice's payer if it names one, recorded as paid by
    /// `payers[i]` (emits {IPaymentEscrowV1-InvoicePaid}); a further payment by the same payer to a
    /// payment still held, added to it (emits {IPaymentEscrowV1-PaymentIncreased}); anything else
    /// returned to `payers[i]` (emits {DepositReturned}). The same invoice twice in one call reverts.
    /// @param payers The sender of each deposit, as the operator observed it.
    function sweep(IPaymentEscrowV1.Invoice[] calldata invoices, address[] calldata payers) external;

    /// @notice {sweep}, and capture at once every first payment of exactly the invoice amount, with
    /// fee `feeBps[i]`. Deposits are swept only once the operator saw them confirmed, which is
    /// when it would capture anyway; this saves writing each payment slot twice.
    /// @dev As {sweep}; an exact payment also needs a time before the authorization expiry and a fee
    /// within the invoice's bounds (else the whole call reverts), and emits
    /// {IPaymentEscrowV1-PaymentCaptured} after {IPaymentEscrowV1-InvoicePaid}. Under- and overpayments
    /// stay held, for the operator to top up, capture or void.
    function sweepAndCapture(
        IPaymentEscrowV1.Invoice[] calldata invoices,
        address[] calldata payers,
        uint16[] calldata feeBps
    ) external;
}
