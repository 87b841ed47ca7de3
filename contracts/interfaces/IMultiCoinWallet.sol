// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";

/// @title IMultiCoinWallet
/// @notice A wallet owned by one address that holds ETH and any ERC-20, keeps an ordered list of
/// the coins allocated to it, and lets its owner transfer, call out and pay an invoice in one call.
/// @dev Deployed by {IWalletFactory} as a minimal proxy and initialized in the same transaction.
/// Owner-only functions revert with OpenZeppelin's `OwnableUnauthorizedAccount(account)`; a
/// transfer of ownership is two-step (`transferOwnership`, then `acceptOwnership` by the new owner).
/// ETH is the coin `address(0)`. Failed ETH sends and calls bubble up the callee's revert data, or
/// revert with OpenZeppelin's `InsufficientBalance(balance, needed)`, `FailedCall()` or
/// `AddressEmptyCode(target)`; failed token operations revert with `SafeERC20FailedOperation(token)`.
///
/// Signatures (ERC-1271 `isValidSignature(hash, signature)`) follow ERC-7739: `hash` is never
/// checked as given, because the same owner key may own several wallets and a raw-hash signature
/// would then be valid for all of them. The owner signs instead one of two nested forms, both bound
/// to this wallet's EIP-712 domain (ERC-5267 `eip712Domain()`: name "CoinposWallet", version "1",
/// the chain id, the wallet's address):
/// - TypedDataSign, for an EIP-712 `hash = keccak256(0x1901 ‖ appSeparator ‖ contentsHash)`: the
///   owner signs `keccak256(0x1901 ‖ appSeparator ‖ keccak256(typeHash(TypedDataSign) ‖ contentsHash ‖
///   keccak(name) ‖ keccak(version) ‖ chainId ‖ wallet ‖ salt))` and passes
///   `signature ‖ appSeparator ‖ contentsHash ‖ contentsDescr ‖ uint16(contentsDescr.length)`;
/// - PersonalSign, for any other hash: the owner signs
///   `keccak256(0x1901 ‖ walletSeparator ‖ keccak256(typeHash("PersonalSign(bytes prefixed)") ‖ hash))`
///   and passes the plain signature.
/// `isValidSignature(0x7739…7739, "")` returns `0x77390001`, ERC-7739's support probe.
interface IMultiCoinWallet is IERC5267, IERC1271 {
    /// @notice One allocated coin and the wallet's balance of it.
    /// @param coin The token address, or `address(0)` for ETH.
    /// @param balance The wallet's balance in the coin's base units; 0 when the coin's `balanceOf`
    /// reverts, returns fewer than 32 bytes, or the coin has no code.
    struct Holding {
        address coin;
        uint256 balance;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice `initialize` was called on a wallet that already has an owner (`owner`), or on the
    /// implementation, which owns itself.
    error MultiCoinWalletAlreadyInitialized(address owner);

    /// @notice `coin` is already in the wallet's list.
    error MultiCoinWalletCoinAlreadyAllocated(address coin);

    /// @notice `coin` is not in the wallet's list.
    error MultiCoinWalletCoinNotAllocated(address coin);

    /// @notice The list already holds `max` coins, the most it may hold.
    error MultiCoinWalletTooManyCoins(uint256 max);

    /// @notice A transfer to `recipient` (the zero address) was refused.
    error MultiCoinWalletInvalidRecipient(address recipient);

    /// @notice `renounceOwnership` is disabled: a wallet without an owner would lock its funds forever.
    error MultiCoinWalletRenounceDisabled();

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice `coin` was appended to the wallet's list.
    event CoinAllocated(address indexed coin);

    /// @notice `coin` was taken out of the wallet's list; the coins after it moved up one place.
    event CoinRemoved(address indexed coin);

    /// @notice The wallet sent `amount` wei to `to`.
    event EthTransferred(address indexed to, uint256 amount);

    /// @notice The wallet sent `amount` of `token` to `to`.
    event TokenTransferred(address indexed token, address indexed to, uint256 amount);

    /// @notice The wallet called `target` with `value` wei; `selector` is the first four bytes of
    /// the call data (zero when it is shorter).
    event Executed(address indexed target, uint256 value, bytes4 selector);

    /// @notice The wallet paid `amount` of `token` (`address(0)` for ETH) into `escrow`.
    event InvoicePaid(address indexed escrow, address indexed token, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The most coins the list may hold, so that {holdings} stays cheap to call.
    function MAX_COINS() external view returns (uint256);

    /// @notice Sets the wallet's owner and allocates its first coins. Called once, by the factory,
    /// in the transaction that deploys the wallet.
    /// @dev Requirements: the wallet has no owner yet (the implementation owns itself, so it can
    /// never be initialized); `owner_` is not the zero address (`OwnableInvalidOwner`); `coins_`
    /// has no duplicates and at most {MAX_COINS} entries. Emits {OwnershipTransferred} and one
    /// {CoinAllocated} per coin.
    function initialize(address owner_, address[] calldata coins_) external;

    /// @notice Appends `coin` (`address(0)` for ETH) to the wallet's list.
    /// @dev Requirements: the caller is the owner; `coin` is not in the list; the list holds fewer
    /// than {MAX_COINS} coins. Emits {CoinAllocated}.
    function allocateCoin(address coin) external;

    /// @notice Takes `coin` out of the wallet's list, keeping the order of the others. The wallet's
    /// balance of `coin` is untouched.
    /// @dev Requirements: the caller is the owner; `coin` is in the list. Emits {CoinRemoved}.
    function removeCoin(address coin) external;

    /// @notice The allocated coins, in the order they were allocated.
    function coins() external view returns (address[] memory);

    /// @notice Whether `coin` is in the wallet's list.
    function isCoinAllocated(address coin) external view returns (bool);

    /// @notice Every allocated coin with the wallet's balance of it, in list order, in one call.
    /// @dev A coin whose `balanceOf` fails reports a balance of 0 rather than failing the whole call.
    function holdings() external view returns (Holding[] memory);

    /// @notice Sends `amount` wei to `to`, forwarding all gas.
    /// @dev Requirements: the caller is the owner; `to` is not the zero address; the wallet holds
    /// `amount` wei. Emits {EthTransferred}.
    function transferEth(address payable to, uint256 amount) external;

    /// @notice Sends `amount` of `token` to `to`. Works with tokens that return no bool.
    /// @dev Requirements: the caller is the owner; `to` is not the zero address; the token transfer
    /// succeeds. Emits {TokenTransferred}.
    function transferToken(address token, address to, uint256 amount) external;

    /// @notice Calls `target` with `value` wei and `data`; returns what the call returned.
    /// @dev Requirements: the caller is the owner; the call succeeds (its revert data is bubbled
    /// up); a call that returns nothing goes to an address with code. Emits {Executed}.
    function execute(address target, uint256 value, bytes calldata data) external payable returns (bytes memory);

    /// @notice Pays an invoice in one transaction, without depending on the escrow's ABI.
    /// For an ERC-20: approves `escrow` for exactly `amount`, calls `escrow` with `payCall`, then sets
    /// the allowance back to 0, so no allowance outlives the call. For ETH (`token == address(0)`):
    /// calls `escrow` with `payCall` and `amount` wei.
    /// @dev Requirements: the caller is the owner; the escrow call succeeds (its revert data is
    /// bubbled up). Emits {InvoicePaid}.
    /// @return result What the escrow call returned.
    function payInvoice(address escrow, address token, uint256 amount, bytes calldata payCall)
        external
        returns (bytes memory result);
}
