// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title NoReceivePayer
/// @notice Test double: a payer contract with neither `receive` nor `fallback`, so every ETH send to
/// it fails; {execute} lets a test act as it (pay, send ETH to a deposit address, withdraw).
contract NoReceivePayer {
    function execute(address target, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory result) = target.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
        return result;
    }
}
