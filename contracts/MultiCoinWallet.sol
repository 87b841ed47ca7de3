// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ERC7739} from "@openzeppelin/contracts/utils/cryptography/signers/draft-ERC7739.sol";

import {IMultiCoinWallet} from "./interfaces/IMultiCoinWallet.sol";

/// @title MultiCoinWallet
/// @notice The implementation behind every coinpos wallet clone. See {IMultiCoinWallet}.
/// @dev The owner slot doubles as the initialization guard, so initializing a clone costs one
/// storage write when it gets no coins. The implementation is constructed owning itself: every
/// owner-only function would need a call from the implementation, which makes none on its own,
/// and `initialize` finds an owner already set.
/// ERC-1271 goes through OpenZeppelin's ERC-7739 defensive rehashing: the owner signs the
/// application's hash nested in this wallet's own EIP-712 domain (name "CoinposWallet", version "1",
/// the chain id and the wallet's address), so a signature is valid for one wallet only. The domain's
/// name and version live in the implementation's immutables and the domain separator is rebuilt
/// from the clone's address on each use, so clones need no storage for it.
contract MultiCoinWallet is IMultiCoinWallet, Ownable2Step, ERC7739 {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMultiCoinWallet
    uint256 public constant MAX_COINS = 32;

    address[] private _coins;

    /// @dev A coin's 1-based index in `_coins`; 0 means not allocated.
    mapping(address coin => uint256 position) private _positions;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    constructor() Ownable(address(this)) EIP712("CoinposWallet", "1") {}

    /*//////////////////////////////////////////////////////////////
                                RECEIVE
    //////////////////////////////////////////////////////////////*/

    /// @notice Accepts ETH from anyone. Emits nothing, so a send with a 2,300-gas stipend succeeds.
    receive() external payable {}

    /*//////////////////////////////////////////////////////////////
                                EXTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMultiCoinWallet
    function initialize(address owner_, address[] calldata coins_) external {
        address current = owner();
        if (current != address(0)) revert MultiCoinWalletAlreadyInitialized(current);
        if (owner_ == address(0)) revert OwnableInvalidOwner(owner_);
        // Ownable's version, not Ownable2Step's: a new wallet has no pending owner to clear, and
        // skipping that write keeps wallet creation to one storage write.
        Ownable._transferOwnership(owner_);
        for (uint256 i = 0; i < coins_.length; ++i) {
            _allocate(coins_[i]);
        }
    }

    /// @inheritdoc IMultiCoinWallet
    function allocateCoin(address coin) external onlyOwner {
        _allocate(coin);
    }

    /// @inheritdoc IMultiCoinWallet
    function removeCoin(address coin) external onlyOwner {
        uint256 position = _positions[coin];
        if (position == 0) revert MultiCoinWalletCoinNotAllocated(coin);
        uint256 last = _coins.length;
        // Shift the coins after `coin` up one place, so the list keeps its order.
        for (uint256 i = position; i < last; ++i) {
            address moved = _coins[i];
            _coins[i - 1] = moved;
            _positions[moved] = i;
        }
        _coins.pop();
        delete _positions[coin];
        emit CoinRemoved(coin);
    }

    /// @inheritdoc IMultiCoinWallet
    function transferEth(address payable to, uint256 amount) external onlyOwner {
        if (to == address(0)) revert MultiCoinWalletInvalidRecipient(to);
        Address.sendValue(to, amount);
        emit EthTransferred(to, amount);
    }

    /// @inheritdoc IMultiCoinWallet
    function transferToken(address token, address to, uint256 amount) external onlyOwner {
        if (to == address(0)) revert MultiCoinWalletInvalidRecipient(to);
        IERC20(token).safeTransfer(to, amount);
        emit TokenTransferred(token, to, amount);
    }

    /// @inheritdoc IMultiCoinWallet
    function execute(address target, uint256 value, bytes calldata data)
        external
        payable
        onlyOwner
        returns (bytes memory result)
    {
        result = Address.functionCallWithValue(target, data, value);
        emit Executed(target, value, bytes4(data));
    }

    /// @inheritdoc IMultiCoinWallet
    function payInvoice(address escrow, address token, uint256 amount, bytes calldata payCall)
        external
        onlyOwner
        returns (bytes memory result)
    {
        if (token == address(0)) {
            result = Address.functionCallWithValue(escrow, payCall, amount);
        } else {
            IERC20(token).forceApprove(escrow, amount);
            result = Address.functionCall(escrow, payCall);
            IERC20(token).forceApprove(escrow, 0);
        }
        emit InvoicePaid(escrow, token, amount);
    }

    /// @notice Disabled: see {MultiCoinWalletRenounceDisabled}.
    function renounceOwnership() public view override onlyOwner {
        revert MultiCoinWalletRenounceDisabled();
    }

    /// @inheritdoc IMultiCoinWallet
    function coins() external view returns (address[] memory) {
        return _coins;
    }

    /// @inheritdoc IMultiCoinWallet
    function isCoinAllocated(address coin) external view returns (bool) {
        return _positions[coin] != 0;
    }

    /// @inheritdoc IMultiCoinWallet
    function holdings() external view returns (Holding[] memory result) {
        uint256 count = _coins.length;
        result = new Holding[](count);
        for (uint256 i = 0; i < count; ++i) {
            address coin = _coins[i];
            result[i] = Holding(coin, coin == address(0) ? address(this).balance : _balanceOf(coin));
        }
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev The check ERC-7739 applies to the hash it rebuilt in this wallet's domain: valid iff
    /// `signature` is the owner's over `hash`, an ECDSA signature for an owner without code, or one
    /// the owner accepts through ERC-1271 for a contract owner (which, if it is a coinpos wallet too,
    /// nests `hash` in its own domain in turn). A malformed or malleable (high-s) signature is
    /// invalid, never a revert.
    function _rawSignatureValidation(bytes32 hash, bytes calldata signature) internal view override returns (bool) {
        return SignatureChecker.isValidSignatureNowCalldata(owner(), hash, signature);
    }

    function _allocate(address coin) private {
        if (_positions[coin] != 0) revert MultiCoinWalletCoinAlreadyAllocated(coin);
        uint256 count = _coins.length;
        if (count == MAX_COINS) revert MultiCoinWalletTooManyCoins(MAX_COINS);
        _coins.push(coin);
        // Cannot overflow: count < MAX_COINS.
        unchecked {
            _positions[coin] = count + 1;
        }
        emit CoinAllocated(coin);
    }

    /// @dev The wallet's balance of `token`, or 0 when `balanceOf` reverts, returns fewer than
    /// 32 bytes, or `token` has no code.
    function _balanceOf(address token) private view returns (uint256) {
        (bool ok, bytes memory data) = token.staticcall(abi.encodeCall(IERC20.balanceOf, (address(this))));
        return ok && data.length >= 32 ? abi.decode(data, (uint256)) : 0;
    }
}
