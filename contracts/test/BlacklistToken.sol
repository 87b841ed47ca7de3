// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestToken} from "./TestToken.sol";

/// @title BlacklistToken
/// @notice Test double: a USDC-style token whose transfers to or from a blocked account revert.
contract BlacklistToken is TestToken {
    /// @notice The transfer involves a blocked account.
    error BlacklistTokenBlocked(address account);

    mapping(address account => bool) private _blocked;

    constructor() TestToken("Blacklist", "BLK") {}

    /// @notice Blocks or unblocks `account`.
    function setBlocked(address account, bool blocked) external {
        _blocked[account] = blocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (_blocked[from]) revert BlacklistTokenBlocked(from);
        if (_blocked[to]) revert BlacklistTokenBlocked(to);
        super._update(from, to, value);
    }
}
