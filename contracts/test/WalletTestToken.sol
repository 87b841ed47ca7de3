// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title WalletTestToken
/// @notice A USDT-style token for wallet tests: `transfer`, `transferFrom` and `approve` return
/// nothing, and `approve` from one non-zero allowance to another reverts. It can also act as a
/// malicious token: a one-shot hook makes its next transfer, transferFrom or approve call
/// `hookTarget` with `hookData` first, and records the outcome.
contract WalletTestToken {
    error WalletTestTokenInsufficientBalance(address account, uint256 balance, uint256 needed);
    error WalletTestTokenInsufficientAllowance(address owner, address spender, uint256 allowance, uint256 needed);
    error WalletTestTokenApproveFromNonZero(address owner, address spender, uint256 allowance);

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    mapping(address account => uint256) public balanceOf;
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    address public hookTarget;
    bytes public hookData;
    bool public hookRan;
    bool public hookSucceeded;
    bytes public hookReturnData;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
    }

    function transfer(address to, uint256 amount) external {
        _runHook();
        _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external {
        _runHook();
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < amount) revert WalletTestTokenInsufficientAllowance(from, msg.sender, allowed, amount);
        allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
    }

    function approve(address spender, uint256 amount) external {
        _runHook();
        uint256 current = allowance[msg.sender][spender];
        if (amount != 0 && current != 0) revert WalletTestTokenApproveFromNonZero(msg.sender, spender, current);
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
    }

    function _move(address from, address to, uint256 amount) private {
        uint256 balance = balanceOf[from];
        if (balance < amount) revert WalletTestTokenInsufficientBalance(from, balance, amount);
        balanceOf[from] = balance - amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }

    function _runHook() private {
        address target = hookTarget;
        if (target == address(0)) return;
        delete hookTarget;
        (bool ok, bytes memory data) = target.call(hookData);
        hookRan = true;
        hookSucceeded = ok;
        hookReturnData = data;
    }
}
