// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @custom:test-double The previous escrow design (v1), unchanged but renamed: the privacy test's positive control and the gas baseline.
/// @title DepositForwarderV1
/// @notice Init code only: created by the escrow at an invoice's deposit address, it hands the
/// address's whole balance of `token` (and any ETH) to its creator, then self-destructs.
/// @dev Created and destroyed in one transaction, so under EIP-6780 the account is removed entirely:
/// no code stays at the deposit address, later plain transfers (even ETH with a 2,300-gas stipend)
/// still land, and the escrow can create the forwarder again to sweep them. The escrow measures what
/// arrived by its own balance, so the forwarder returns nothing. The compiler's deprecation warning
/// for `selfdestruct` is expected: EIP-6780 keeps the full deletion for exactly this case, an
/// account created earlier in the same transaction.
contract DepositForwarderV1 {
    /// @param token The invoice token, or address(0) for ETH, which the self-destruct moves.
    constructor(address token) {
        if (token != address(0)) {
            uint256 balance = IERC20(token).balanceOf(address(this));
            // Skipped when empty: some tokens revert on a zero transfer.
            if (balance != 0) SafeERC20.safeTransfer(IERC20(token), msg.sender, balance);
        }
        // The only way to move ETH without a receive hook on the escrow, and to leave no code behind.
        selfdestruct(payable(msg.sender));
    }
}
