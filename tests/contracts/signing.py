"""EIP-712 signing helpers for contract tests, over eth-account's typed-data API."""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

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


# --- ERC-7739: signatures a coinpos wallet accepts --------------------------------------------

EIP712_DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
PERSONAL_SIGN_TYPEHASH = keccak(text="PersonalSign(bytes prefixed)")


def typed_data_hash(separator: bytes, struct_hash: bytes) -> bytes:
    """EIP-712's `keccak256(0x1901 ‖ separator ‖ structHash)`."""
    return keccak(b"\x19\x01" + separator + struct_hash)


def domain_separator(contract: Any, chain_id: int) -> bytes:
    """The EIP-712 domain separator of a contract, rebuilt from its ERC-5267 `eip712Domain()`."""
    fields = contract.eip712Domain()
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                EIP712_DOMAIN_TYPEHASH,
                keccak(text=fields[1]),
                keccak(text=fields[2]),
                chain_id,
                str(contract.address),
            ],
        )
    )


def ecdsa(private_key: str, digest: bytes) -> bytes:
    """A 65-byte r ‖ s ‖ v signature of `digest` itself."""
    return bytes(Account.unsafe_sign_hash(digest, private_key).signature)


def personal_sign_digest(wallet: Any, chain_id: int, hash_: bytes) -> bytes:
    """What the owner signs for the wallet to accept `hash_` (ERC-7739 PersonalSign)."""
    struct_hash = keccak(PERSONAL_SIGN_TYPEHASH + hash_)
    return typed_data_hash(domain_separator(wallet, chain_id), struct_hash)


def typed_data_sign_digest(
    wallet: Any, chain_id: int, app_separator: bytes, contents_hash: bytes, contents_type: str
) -> bytes:
    """What the owner signs for the wallet to accept the EIP-712 hash of `contents_hash` in the
    app's domain (ERC-7739 TypedDataSign, implicit mode: `contents_type` starts with its name)."""
    name = contents_type[: contents_type.index("(")]
    typehash = keccak(
        text=f"TypedDataSign({name} contents,string name,string version,uint256 chainId,"
        f"address verifyingContract,bytes32 salt){contents_type}"
    )
    fields = wallet.eip712Domain()
    domain_words = encode(
        ["bytes32", "bytes32", "uint256", "address", "bytes32"],
        [keccak(text=fields[1]), keccak(text=fields[2]), chain_id, str(wallet.address), bytes(32)],
    )
    return typed_data_hash(app_separator, keccak(typehash + contents_hash + domain_words))


def typed_data_sign_signature(
    signature: bytes, app_separator: bytes, contents_hash: bytes, contents_type: str
) -> bytes:
    """The envelope ERC-7739 decodes: signature ‖ appSeparator ‖ contentsHash ‖ descr ‖ len."""
    descr = contents_type.encode()
    return signature + app_separator + contents_hash + descr + len(descr).to_bytes(2, "big")
