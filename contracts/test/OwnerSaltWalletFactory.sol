// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {IMultiCoinWallet} from "../interfaces/IMultiCoinWallet.sol";

/// @title OwnerSaltWalletFactory
/// @notice Test double: the wallet factory as it was before the initial coins were bound into the
/// CREATE2 salt (`keccak256(abi.encode(owner, salt))`), kept as the positive control of the
/// front-running test: on it, a front-runner with another coin list takes the owner's address.
contract OwnerSaltWalletFactory {
    address public immutable implementation;

    constructor(address implementation_) {
        implementation = implementation_;
    }

    function predictAddress(address owner, bytes32 salt) external view returns (address) {
        return Clones.predictDeterministicAddress(implementation, keccak256(abi.encode(owner, salt)));
    }

    function createWallet(address owner, bytes32 salt, address[] calldata initialCoins)
        external
        returns (address wallet)
    {
        wallet = Clones.cloneDeterministic(implementation, keccak256(abi.encode(owner, salt)));
        IMultiCoinWallet(wallet).initialize(owner, initialCoins);
    }
}
