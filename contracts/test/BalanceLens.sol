// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IPaymentEscrow} from "../interfaces/IPaymentEscrow.sol";

/// @title BalanceLens
/// @notice Test helper: every account's balance of every token (address(0): ETH) and what the escrow
/// owes it, in one eth_call, for the stateful test's model checks. Index: token * accounts + account.
contract BalanceLens {
    function read(IPaymentEscrow escrow, address[] calldata tokens, address[] calldata accounts)
        external
        view
        returns (uint256[] memory balances, uint256[] memory owed)
    {
        uint256 n = accounts.length;
        balances = new uint256[](tokens.length * n);
        owed = new uint256[](tokens.length * n);
        for (uint256 t; t < tokens.length; ++t) {
            address token = tokens[t];
            for (uint256 a; a < n; ++a) {
                address account = accounts[a];
                balances[t * n + a] = token == address(0) ? account.balance : IERC20(token).balanceOf(account);
                owed[t * n + a] = escrow.owedTo(account, token);
            }
        }
    }
}
