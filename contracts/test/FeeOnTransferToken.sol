// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestToken} from "./TestToken.sol";

/// @title FeeOnTransferToken
/// @notice Test double: burns 1% of every transfer between holders, so the receiver gets less than sent.
contract FeeOnTransferToken is TestToken {
    constructor() TestToken("Fee On Transfer", "FOT") {}

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = value / 100;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
