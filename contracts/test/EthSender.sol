// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title EthSender
/// @notice Test double: a contract wallet that pays with Solidity's `transfer`, which forwards only
/// the 2,300-gas stipend.
contract EthSender {
    receive() external payable {}

    function sendWithStipend(address payable to, uint256 amount) external {
        to.transfer(amount);
    }
}
