// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IWalletFactory
/// @notice Deploys {IMultiCoinWallet}s as minimal proxies at CREATE2 addresses that depend only on
/// the owner and a salt, so a wallet's address is known, and can receive funds, before it exists.
/// @dev The CREATE2 salt is `keccak256(abi.encode(owner, salt))`: a wallet at a predicted address
/// can only ever be owned by the owner it was predicted for. Anyone may deploy a wallet for any owner.
interface IWalletFactory {
    /// @notice A wallet cannot be owned by the zero address.
    error WalletFactoryInvalidOwner(address owner);

    /// @notice The wallet of `owner` for `salt` is already deployed at `wallet`.
    error WalletFactoryWalletExists(address owner, bytes32 salt, address wallet);

    /// @notice A wallet owned by `owner` was deployed at `wallet` for `salt`.
    event WalletCreated(address indexed owner, address indexed wallet, bytes32 salt);

    /// @notice The wallet implementation every wallet delegates to.
    function implementation() external view returns (address);

    /// @notice The address of the wallet of `owner` for `salt`, deployed or not.
    function predictAddress(address owner, bytes32 salt) external view returns (address);

    /// @notice Deploys the wallet of `owner` for `salt` at {predictAddress}, with `initialCoins`
    /// allocated in that order. Funds already sent to that address are the wallet's.
    /// @dev Requirements: `owner` is not the zero address; that wallet is not deployed yet;
    /// `initialCoins` has no duplicates and at most `MAX_COINS` entries. Emits {WalletCreated}.
    function createWallet(address owner, bytes32 salt, address[] calldata initialCoins)
        external
        returns (address wallet);
}
