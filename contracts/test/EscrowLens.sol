// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IPaymentEscrow} from "../interfaces/IPaymentEscrow.sol";

/// @title EscrowLens
/// @notice Test helper: reads every figure the stateful test reconciles in one eth_call.
contract EscrowLens {
    function read(IPaymentEscrow escrow, IERC20 token, bytes32[] calldata storeIds, bytes32[] calldata invoiceHashes)
        external
        view
        returns (
            uint256 escrowBalance,
            uint256 feeBalance,
            uint256[] memory storeBalances,
            uint256[] memory accruedFees,
            IPaymentEscrow.Payment[] memory payments
        )
    {
        escrowBalance = token.balanceOf(address(escrow));
        feeBalance = escrow.feeBalance(address(token));
        storeBalances = new uint256[](storeIds.length);
        accruedFees = new uint256[](storeIds.length);
        for (uint256 i; i < storeIds.length; ++i) {
            storeBalances[i] = escrow.storeBalance(storeIds[i], address(token));
            accruedFees[i] = escrow.accruedFees(storeIds[i], address(token));
        }
        payments = new IPaymentEscrow.Payment[](invoiceHashes.length);
        for (uint256 i; i < invoiceHashes.length; ++i) {
            payments[i] = escrow.payment(invoiceHashes[i]);
        }
    }
}
