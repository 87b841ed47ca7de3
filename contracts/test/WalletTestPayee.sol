// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title WalletTestPayee
/// @notice A stand-in escrow for wallet tests: `pay` pulls an ERC-20 amount from the caller with
/// transferFrom, or takes exactly that much ETH; `reject` always reverts with a custom error;
/// `sendWithStipend` pays out ETH with a 2,300-gas stipend.
contract WalletTestPayee {
    using SafeERC20 for IERC20;

    error WalletTestPayeeWrongValue(uint256 expected, uint256 received);
    error WalletTestPayeeRejected(bytes32 invoice);

    event Paid(bytes32 indexed invoice, address indexed payer, address indexed token, uint256 amount);

    /// @return receipt `invoice`, echoed back, so tests can see return data pass through.
    function pay(bytes32 invoice, address token, uint256 amount) external payable returns (bytes32 receipt) {
        if (token == address(0)) {
            if (msg.value != amount) revert WalletTestPayeeWrongValue(amount, msg.value);
        } else {
            IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        }
        emit Paid(invoice, msg.sender, token, amount);
        return invoice;
    }

    /// @notice Sends `amount` wei to `to` the old way, with Solidity's `transfer` and its 2,300-gas stipend.
    function sendWithStipend(address payable to, uint256 amount) external {
        to.transfer(amount);
    }

    function reject(bytes32 invoice) external payable {
        revert WalletTestPayeeRejected(invoice);
    }
}
