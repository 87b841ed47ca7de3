// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title CloneForwarder
/// @notice Benchmark alternative to DepositForwarder: the implementation behind persistent
/// minimal-proxy deposit addresses, which stay deployed and forward on every call.
contract CloneForwarder {
    /// @notice Only the factory that created the clones may make them forward.
    error CloneForwarderUnauthorized(address caller);

    address private immutable _factory;

    constructor() {
        _factory = msg.sender;
    }

    /// @notice Accepts plain ETH (but only with more gas than a 2,300 stipend, through the proxy's delegatecall).
    receive() external payable {}

    /// @notice Sends this address's whole balance of `token` to the factory.
    function forward(address token) external {
        if (msg.sender != _factory) revert CloneForwarderUnauthorized(msg.sender);
        uint256 balance = IERC20(token).balanceOf(address(this));
        if (balance != 0) SafeERC20.safeTransfer(IERC20(token), msg.sender, balance);
    }
}
