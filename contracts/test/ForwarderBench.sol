// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";

import {DepositForwarder} from "../DepositForwarder.sol";
import {CloneForwarder} from "./CloneForwarder.sol";

/// @title ForwarderBench
/// @notice Benchmark harness: moves ERC-20 deposits from per-salt deposit addresses with each of the
/// two forwarder designs, so their cost is measured apart from the escrow's bookkeeping.
/// @dev Answers the forwarder's `forwarding()` callback as the escrow does (transient storage).
contract ForwarderBench {
    address private immutable _implementation;
    address private transient _token;
    uint256 private transient _expected;

    constructor() {
        _implementation = address(new CloneForwarder());
    }

    function selfDestructAddress(bytes32 salt) external view returns (address) {
        return Create2.computeAddress(salt, keccak256(type(DepositForwarder).creationCode));
    }

    function cloneAddress(bytes32 salt) external view returns (address) {
        return Clones.predictDeterministicAddress(_implementation, salt);
    }

    /// @notice What the forwarder being created should move: `amount` of the token, no ETH.
    function forwarding() external view returns (address token, uint256 expectedToken, uint256 expectedEth) {
        return (_token, _expected, 0);
    }

    /// @notice The design in use: create, forward and self-destruct in one go, every time; each
    /// address holds `amount`.
    function sweepSelfDestruct(address token, bytes32[] calldata salts, uint256 amount) external {
        bytes memory initCode = type(DepositForwarder).creationCode;
        _token = token;
        _expected = amount;
        for (uint256 i; i < salts.length; ++i) {
            Create2.deploy(0, salts[i], initCode);
        }
    }

    /// @notice The alternative: a persistent minimal proxy, deployed on first use, then only called.
    function sweepClones(address token, bytes32[] calldata salts) external {
        for (uint256 i; i < salts.length; ++i) {
            address forwarder = Clones.predictDeterministicAddress(_implementation, salts[i]);
            if (forwarder.code.length == 0) Clones.cloneDeterministic(_implementation, salts[i]);
            CloneForwarder(payable(forwarder)).forward(token);
        }
    }
}
