// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestToken} from "./TestToken.sol";

/// @title RevertsOnZeroToken
/// @notice Test double: reverts on a transfer of zero, as some deployed tokens do.
contract RevertsOnZeroToken is TestToken {
    error ZeroTransfer();

    constructor() TestToken("Reverts On Zero", "ROZ") {}

    function _update(address from, address to, uint256 value) internal override {
        if (value == 0) revert ZeroTransfer();
        super._update(from, to, value);
    }
}
