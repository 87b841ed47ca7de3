// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IPaymentEscrow} from "../interfaces/IPaymentEscrow.sol";

/// @title EscrowLens
/// @notice Test helper: reads every figure a stateful test reconciles in one eth_call: the escrow's
/// balance of the token (address(0): ETH), its pooled totals, and the payments asked for.
contract EscrowLens {
    struct Totals {
        uint256 balance;
        uint256 held;
        uint256 captured;
        uint256 fees;
        uint256 owed;
    }

    function read(IPaymentEscrow escrow, address token, bytes32[] calldata invoiceHashes)
        external
        view
        returns (Totals memory totals, IPaymentEscrow.Payment[] memory payments)
    {
        totals.balance = token == address(0) ? address(escrow).balance : IERC20(token).balanceOf(address(escrow));
        (totals.held, totals.captured, totals.fees, totals.owed) = escrow.pool(token);
        payments = new IPaymentEscrow.Payment[](invoiceHashes.length);
        for (uint256 i; i < invoiceHashes.length; ++i) {
            payments[i] = escrow.payment(invoiceHashes[i]);
        }
    }
}
