"""EIP-712 signing helpers for contract tests, over eth-account's typed-data API."""

from __future__ import annotations

from typing import Any

from eth_account import Account

PERMIT_TYPES = {
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


def domain_of(contract: Any, chain_id: int) -> dict[str, Any]:
    """The EIP-712 domain a contract reports through ERC-5267 `eip712Domain()`."""
    fields = contract.eip712Domain()
    return {
        "name": fields[1],
        "version": fields[2],
        "chainId": chain_id,
        "verifyingContract": contract.address,
    }


def sign_typed(
    private_key: str, domain: dict[str, Any], types: dict[str, Any], message: dict[str, Any]
) -> tuple[int, bytes, bytes]:
    """Signs typed data; returns (v, r, s)."""
    signed = Account.sign_typed_data(private_key, domain, types, message)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


def sign_permit(
    token: Any,
    signer: Any,
    spender: Any,
    value: int,
    deadline: int,
    chain_id: int,
    owner: Any = None,
) -> tuple[int, bytes, bytes]:
    """An ERC-2612 permit signed with `signer`'s test key, for `owner` (default: the signer)."""
    owner = owner or signer
    message = {
        "owner": owner.address,
        "spender": str(spender),
        "value": value,
        "nonce": token.nonces(owner),
        "deadline": deadline,
    }
    return sign_typed(signer.private_key, domain_of(token, chain_id), PERMIT_TYPES, message)
