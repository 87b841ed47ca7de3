// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {TestToken} from "./TestToken.sol";

/// @title ReentrantToken
/// @notice Test double: on its next transfer it calls `target` with `data` and bubbles up any revert,
/// to prove the escrow refuses to be re-entered from inside a token call.
contract ReentrantToken is TestToken {
    address private _target;
    bytes private _data;

    constructor() TestToken("Reentrant", "REE") {}

    /// @notice Arms one reentrant call, made during the next balance-moving transfer.
    function arm(address target, bytes calldata data) external {
        _target = target;
        _data = data;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address target = _target;
        if (target != address(0) && from != address(0)) {
            _target = address(0);
            Address.functionCall(target, _data);
        }
    }
}
