// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";

/// @title ReentrantEthReceiver
/// @notice Test double: an account whose `receive` makes one armed call back into `target` while
/// the ETH send that reached it is still running, and records the outcome instead of reverting,
/// so the outer send completes and a test can check both what the re-entry got and the balances.
/// The outcome is stored (hookRan, hookSucceeded, hookReturnData) and emitted ({ReentryAttempted});
/// a hook armed with {setQuietHook} only emits, so it fits in a send with bounded gas. {execute}
/// lets the test act as this account (pay, reclaim, withdraw as the payer).
contract ReentrantEthReceiver {
    /// @notice The armed re-entry ran: `success` and what the call returned (revert data on failure).
    event ReentryAttempted(address indexed target, bool success, bytes returnData);

    address public hookTarget;
    bool public quiet;
    bytes public hookData;
    bool public hookRan;
    bool public hookSucceeded;
    bytes public hookReturnData;

    /// @notice Arms one call of `target` with `data`, made when this contract next receives ETH.
    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        quiet = false;
        hookData = data;
    }

    /// @notice As {setHook}, but the outcome is only emitted, not stored (cheap enough for 50,000 gas).
    function setQuietHook(address target, bytes calldata data) external {
        hookTarget = target;
        quiet = true;
        hookData = data;
    }

    /// @notice Calls `target` as this account, forwarding `value`; bubbles up a revert.
    function execute(address target, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        return Address.functionCallWithValue(target, data, value);
    }

    receive() external payable {
        address target = hookTarget;
        if (target == address(0)) return;
        delete hookTarget;
        (bool ok, bytes memory data) = target.call(hookData);
        emit ReentryAttempted(target, ok, data);
        if (quiet) return;
        hookRan = true;
        hookSucceeded = ok;
        hookReturnData = data;
    }
}
