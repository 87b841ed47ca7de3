// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestToken} from "./TestToken.sol";

/// @title ReturnsFalseToken
/// @notice Test double: once `setFailing(true)`, transfers move nothing and return false instead of reverting.
contract ReturnsFalseToken is TestToken {
    bool private _failing;

    constructor() TestToken("Returns False", "RFT") {}

    function setFailing(bool failing) external {
        _failing = failing;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        return _failing ? false : super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        return _failing ? false : super.transferFrom(from, to, value);
    }
}
