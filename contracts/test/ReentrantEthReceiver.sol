// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ReentrantEthReceiver
/// @notice Test double: an account whose `receive` makes one armed call back into `target` while
/// the ETH send that reached it is still running, and records the outcome instead of reverting,
/// so the outer send completes and a test can check both what the re-entry got and the balances.
contract ReentrantEthReceiver {
    address public hookTarget;
    bytes public hookData;
    bool public hookRan;
    bool public hookSucceeded;
    bytes public hookReturnData;

    /// @notice Arms one call of `target` with `data`, made when this contract next receives ETH.
    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
    }

    receive() external payable {
        address target = hookTarget;
        if (target == address(0)) return;
        delete hookTarget;
        (bool ok, bytes memory data) = target.call(hookData);
        hookRan = true;
        hookSucceeded = ok;
        hookReturnData = data;
    }
}
