// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title BatchTransfer
/// @notice Test double: pays many deposit addresses in one transaction, each with a real ERC-20
/// `transferFrom` (and so its own Transfer log), to generate payments quickly in benchmarks.
contract BatchTransfer {
    function pay(IERC20 token, address[] calldata recipients, uint256[] calldata amounts) external {
        for (uint256 i = 0; i < recipients.length; ++i) {
            // The token's own return-value check is enough for a test double.
            require(token.transferFrom(msg.sender, recipients[i], amounts[i]));
        }
    }
}
