// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {TestToken} from "./TestToken.sol";

/// @title ReentrantToken
/// @notice Test double: on its next transfer it calls `target` with `data`, to prove the escrow
/// refuses to be re-entered from inside a token call. Armed with {arm}, it bubbles up any revert;
/// armed with {armRecording}, it records the outcome in {ReentryAttempted} and lets the transfer
/// complete, so a test sees the re-entry's own revert even where the escrow tolerates a failed transfer.
contract ReentrantToken is TestToken {
    /// @notice The armed re-entry ran: `success` and what the call returned (revert data on failure).
    event ReentryAttempted(address indexed target, bool success, bytes returnData);

    address private _target;
    bool private _recording;
    bytes private _data;

    constructor() TestToken("Reentrant", "REE") {}

    /// @notice Arms one reentrant call, made during the next balance-moving transfer; reverts bubble up.
    function arm(address target, bytes calldata data) external {
        _target = target;
        _recording = false;
        _data = data;
    }

    /// @notice Arms one reentrant call whose outcome is emitted rather than bubbled up.
    function armRecording(address target, bytes calldata data) external {
        _target = target;
        _recording = true;
        _data = data;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address target = _target;
        if (target != address(0) && from != address(0)) {
            _target = address(0);
            if (_recording) {
                (bool success, bytes memory returnData) = target.call(_data);
                emit ReentryAttempted(target, success, returnData);
            } else {
                Address.functionCall(target, _data);
            }
        }
    }
}
