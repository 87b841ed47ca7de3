// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

import {IEMoney} from "./interfaces/IEMoney.sol";

/// @title EMoney
/// @notice The exchange's e-money coin. Decimals are fixed at deployment, so a coin can
/// mirror its fiat unit (0 for KRW, 2 for USD) or use the usual 18.
contract EMoney is IEMoney, ERC20Permit, AccessControl {
    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEMoney
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @inheritdoc IEMoney
    bytes32 public constant BURNER_ROLE = keccak256("BURNER_ROLE");

    uint8 private immutable _decimals;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param name_ The coin's name, also the EIP-712 domain name used by permit.
    /// @param symbol_ The coin's ticker.
    /// @param decimals_ The number of decimals of the base unit.
    /// @param admin The account given DEFAULT_ADMIN_ROLE, which grants and revokes the other roles.
    constructor(string memory name_, string memory symbol_, uint8 decimals_, address admin)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
    {
        if (admin == address(0)) revert EMoneyInvalidAdmin(admin);
        _decimals = decimals_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /*//////////////////////////////////////////////////////////////
                              EXTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEMoney
    function mint(address to, uint256 amount, bytes32 reference_) external onlyRole(MINTER_ROLE) {
        uint256 supply = totalSupply();
        // Checked here so the caller gets an error with context rather than a bare panic.
        if (amount > type(uint256).max - supply) revert EMoneySupplyOverflow(supply, amount);
        _mint(to, amount);
        emit Issued(msg.sender, to, amount, reference_);
    }

    /// @inheritdoc IEMoney
    function burn(uint256 amount) external onlyRole(BURNER_ROLE) {
        _burn(msg.sender, amount);
    }

    /// @inheritdoc IEMoney
    function burnFrom(address account, uint256 amount) external onlyRole(BURNER_ROLE) {
        _spendAllowance(account, msg.sender, amount);
        _burn(account, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public view override(ERC20, IERC20Metadata) returns (uint8) {
        return _decimals;
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, IERC20Permit) returns (uint256) {
        return super.nonces(owner);
    }
}
