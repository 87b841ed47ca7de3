// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/// @title IEMoney
/// @notice The exchange's own e-money coin: an ERC-20 with ERC-2612 permit, whose supply
/// is issued and retired only by accounts holding the minter and burner roles.
/// @dev Role checks revert with OpenZeppelin's `AccessControlUnauthorizedAccount(account, role)`.
/// Balance, allowance and address checks revert with the OpenZeppelin ERC-20 errors
/// (`ERC20InvalidReceiver`, `ERC20InsufficientBalance`, `ERC20InsufficientAllowance`, ...),
/// and permit checks with `ERC2612ExpiredSignature` and `ERC2612InvalidSigner`.
interface IEMoney is IERC20, IERC20Metadata, IERC20Permit {
    /// @notice The admin given at deployment is the zero address.
    error EMoneyInvalidAdmin(address admin);

    /// @notice Minting `amount` on top of `totalSupply` would overflow uint256.
    error EMoneySupplyOverflow(uint256 totalSupply, uint256 amount);

    /// @notice Emitted when `minter` issues `amount` to `to` against the off-chain payment `reference_`.
    event Issued(address indexed minter, address indexed to, uint256 amount, bytes32 indexed reference_);

    /// @notice The role allowed to issue new coins.
    function MINTER_ROLE() external view returns (bytes32);

    /// @notice The role allowed to retire coins.
    function BURNER_ROLE() external view returns (bytes32);

    /// @notice Issues `amount` new coins to `to`.
    /// @dev Requirements: the caller has MINTER_ROLE; `to` is not the zero address; the
    /// total supply does not overflow. Emits {Transfer} from the zero address and {Issued}.
    /// @param reference_ The off-chain record (for example a fiat payment id) the coins are issued against.
    function mint(address to, uint256 amount, bytes32 reference_) external;

    /// @notice Retires `amount` of the caller's own coins.
    /// @dev Requirements: the caller has BURNER_ROLE and holds `amount`. Emits {Transfer} to the zero address.
    function burn(uint256 amount) external;

    /// @notice Retires `amount` of `account`'s coins, spending the allowance `account` gave the caller.
    /// @dev Requirements: the caller has BURNER_ROLE, an allowance of at least `amount` from
    /// `account`, and `account` holds `amount`. Emits {Transfer} to the zero address.
    function burnFrom(address account, uint256 amount) external;
}
