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
    function predictAddress(address owner, bytes32 salt, address[] calldata initialCoins)
        external
        view
        returns (address)
    {
        return Clones.predictDeterministicAddress(implementation, _salt(owner, salt, initialCoins));
    }

    /// @inheritdoc IWalletFactory
    function createWallet(address owner, bytes32 salt, address[] calldata initialCoins)
        external
        returns (address wallet)
    {
        if (owner == address(0)) revert WalletFactoryInvalidOwner(owner);
        bytes32 boundSalt = _salt(owner, salt, initialCoins);
        address predicted = Clones.predictDeterministicAddress(implementation, boundSalt);
        if (predicted.code.length != 0) revert WalletFactoryWalletExists(owner, salt, predicted);
        wallet = Clones.cloneDeterministic(implementation, boundSalt);
        IMultiCoinWallet(wallet).initialize(owner, initialCoins);
        emit WalletCreated(owner, wallet, salt);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev The CREATE2 salt binds everything `initialize` is given, the owner and the initial
    /// coins, so the wallet at a predicted address is exactly the one predicted: nobody can take
    /// another owner's address, nor deploy the owner's wallet first with another coin list.
    function _salt(address owner, bytes32 salt, address[] calldata initialCoins) private pure returns (bytes32) {
        return keccak256(abi.encode(owner, keccak256(abi.encode(initialCoins)), salt));
    }
}
