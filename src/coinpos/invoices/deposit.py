"""An invoice's virtual deposit address, computed as `escrow.depositAddress(invoice)` does.

CREATE2 with the escrow as deployer, the invoice digest as salt, and as init code the
`DepositForwarder` creation code alone: it has no constructor argument (it asks the escrow
what to move when it is created), so neither the code nor the address depends on the token
or the store; only the invoice hash differs between two addresses.
"""

from __future__ import annotations

from eth_utils.address import to_canonical_address, to_checksum_address
from eth_utils.crypto import keccak


def create2_address(deployer: str, salt: bytes, init_code: bytes) -> str:
    raw = keccak(b"\xff" + to_canonical_address(deployer) + salt + keccak(init_code))
    return str(to_checksum_address(raw[12:]))


def deposit_address(escrow: str, invoice_digest: bytes, forwarder_code: bytes) -> str:
    """`forwarder_code` is DepositForwarder's creation bytecode, as compiled into the escrow."""
    return create2_address(escrow, invoice_digest, forwarder_code)
