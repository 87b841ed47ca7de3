// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IWalletFactory
/// @notice Deploys {IMultiCoinWallet}s as minimal proxies at CREATE2 addresses that depend only on
/// the owner, the initial coin list and a salt, so a wallet's address is known, and can receive
/// funds, before it exists.
/// @dev The CREATE2 salt is `keccak256(abi.encode(owner, keccak256(abi.encode(initialCoins)), salt))`:
/// it binds all of the wallet's initialisation data, so a wallet at a predicted address is always
/// owned by the owner it was predicted for and starts with exactly the coins it was predicted with.
/// Anyone may deploy a wallet for any owner (a relayer or the exchange may pay the gas), and a
/// front-runner who sends the same owner and salt with another coin list only deploys a different
/// wallet of that owner elsewhere. Binding was chosen over an owner-only `createWallet` because it
/// keeps deployment permissionless at the cost of one hash of the coin list; the price is that the
/// initial coin list must be fixed when the address is computed.
interface IWalletFactory {
    /// @notice A wallet cannot be owned by the zero address.
    error WalletFactoryInvalidOwner(address owner);

    /// @notice The wallet of `owner` for `salt` (and the same initial coins) is already deployed at `wallet`.
    error WalletFactoryWalletExists(address owner, bytes32 salt, address wallet);

    /// @notice A wallet owned by `owner` was deployed at `wallet` for `salt`.
    event WalletCreated(address indexed owner, address indexed wallet, bytes32 salt);

    /// @notice The wallet implementation every wallet delegates to.
    function implementation() external view returns (address);

    /// @notice The address of the wallet of `owner` for `salt` that starts with `initialCoins`
    /// (in that order), deployed or not.
    function predictAddress(address owner, bytes32 salt, address[] calldata initialCoins)
        external
        view
        returns (address);

    /// @notice Deploys the wallet of `owner` for `salt` at {predictAddress} of the same arguments,
    /// with `initialCoins` allocated in that order. Funds already sent to that address are the wallet's.
    /// @dev Requirements: `owner` is not the zero address; that wallet is not deployed yet;
    /// `initialCoins` has no duplicates and at most `MAX_COINS` entries. Emits {WalletCreated}.
    function createWallet(address owner, bytes32 salt, address[] calldata initialCoins)
        external
        returns (address wallet);
}
