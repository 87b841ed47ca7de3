// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {IMultiCoinWallet} from "./interfaces/IMultiCoinWallet.sol";
import {IWalletFactory} from "./interfaces/IWalletFactory.sol";
import {MultiCoinWallet} from "./MultiCoinWallet.sol";

/// @title WalletFactory
/// @notice Deploys coinpos wallets as minimal proxies (ERC-1167) at counterfactual addresses.
/// See {IWalletFactory}.
contract WalletFactory is IWalletFactory {
    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IWalletFactory
    address public immutable implementation;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @dev Deploys the wallet implementation, which is locked from birth (it owns itself).
    constructor() {
        implementation = address(new MultiCoinWallet());
    }

    /*//////////////////////////////////////////////////////////////
                                EXTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IWalletFactory
    function predictAddress(address owner, bytes32 salt) external view returns (address) {
        return Clones.predictDeterministicAddress(implementation, _salt(owner, salt));
    }

    /// @inheritdoc IWalletFactory
    function createWallet(address owner, bytes32 salt, address[] calldata initialCoins)
        external
        returns (address wallet)
    {
        if (owner == address(0)) revert WalletFactoryInvalidOwner(owner);
        bytes32 ownerSalt = _salt(owner, salt);
        wallet = Clones.predictDeterministicAddress(implementation, ownerSalt);
        if (wallet.code.length != 0) revert WalletFactoryWalletExists(owner, salt, wallet);
        Clones.cloneDeterministic(implementation, ownerSalt);
        IMultiCoinWallet(wallet).initialize(owner, initialCoins);
        emit WalletCreated(owner, wallet, salt);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev The CREATE2 salt: binds the owner, so nobody can take another owner's address.
    function _salt(address owner, bytes32 salt) private pure returns (bytes32) {
        return keccak256(abi.encode(owner, salt));
    }
}
