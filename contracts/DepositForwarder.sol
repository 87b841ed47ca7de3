// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IDepositSweeper} from "./interfaces/IDepositSweeper.sol";

/// @title DepositForwarder
/// @notice Init code only: created by the escrow at an invoice's deposit address, it checks that the
/// address holds exactly what the escrow expects, hands the token to its creator and self-destructs,
/// which sends its creator the address's ETH.
/// @dev The init code is constant (no constructor argument): what to move comes from the creator's
/// {IDepositSweeper-forwarding} (transient storage of the one CREATE2 in progress), so the deposit
/// address depends only on the escrow and the invoice digest. If a balance differs from the expected
/// one, the constructor reverts, the CREATE2 fails, and the escrow skips the deposit: nothing moves.
/// Created and destroyed in one transaction, so under EIP-6780 the account is removed entirely: no
/// code stays at the deposit address, later plain transfers (even ETH with a 2,300-gas stipend) still
/// land, and the escrow can create the forwarder again. The compiler's deprecation warning for
/// `selfdestruct` is expected: EIP-6780 keeps the full deletion for exactly this case.
contract DepositForwarder {
    /// @notice The address's balance of `token` (address(0): ETH) is not what the escrow expects.
    error DepositForwarderBalanceMismatch(address token, uint256 expected, uint256 found);

    constructor() {
        (address token, uint256 expectedToken, uint256 expectedEth) = IDepositSweeper(msg.sender).forwarding();
        if (address(this).balance != expectedEth) {
            revert DepositForwarderBalanceMismatch(address(0), expectedEth, address(this).balance);
        }
        if (token != address(0)) {
            uint256 balance = IERC20(token).balanceOf(address(this));
            if (balance != expectedToken) revert DepositForwarderBalanceMismatch(token, expectedToken, balance);
            // Skipped when empty: some tokens revert on a zero transfer.
            if (balance != 0) SafeERC20.safeTransfer(IERC20(token), msg.sender, balance);
        }
        // The only way to move ETH without a receive hook on the escrow, and to leave no code behind.
        selfdestruct(payable(msg.sender));
    }
}
