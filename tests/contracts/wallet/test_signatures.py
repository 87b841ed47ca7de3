"""ERC-1271 through ERC-7739: a wallet accepts its owner's signatures made for it, and no other's.

The owner signs the application's hash nested in the wallet's own EIP-712 domain (PersonalSign
for any hash, TypedDataSign for an EIP-712 hash), so one key owning several wallets never signs
for all of them at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account import Account
from eth_utils import keccak

from tests.contracts.signing import (
    ecdsa,
    personal_sign_digest,
    typed_data_hash,
    typed_data_sign_digest,
    typed_data_sign_signature,
)
from tests.contracts.wallet.conftest import ERC1271_INVALID, ERC1271_MAGIC

HASH = keccak(text="order #42: 10,000 KRW")
OTHER_SALT = keccak(text="coinpos-wallet-1")
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ERC7739_PROBE = bytes.fromhex("7739" * 16)

# An application's EIP-712 message, as a dapp would ask the wallet to sign it.
ORDER_TYPE = "Order(uint256 id,address shop)"
APP_SEPARATOR = keccak(text="some dapp's EIP-712 domain separator")
ORDER_HASH = keccak(keccak(text=ORDER_TYPE) + (42).to_bytes(32, "big") + bytes(12) + b"\x42" * 20)
ORDER_DIGEST = typed_data_hash(APP_SEPARATOR, ORDER_HASH)


def personal(wallet: Any, chain: Any, signer: Any, hash_: bytes = HASH) -> bytes:
    """`signer`'s ERC-7739 PersonalSign signature of `hash_` for `wallet`."""
    return ecdsa(signer.private_key, personal_sign_digest(wallet, chain.chain_id, hash_))


def typed(wallet: Any, chain: Any, signer: Any) -> bytes:
    """`signer`'s ERC-7739 TypedDataSign signature of ORDER_DIGEST for `wallet`."""
    digest = typed_data_sign_digest(wallet, chain.chain_id, APP_SEPARATOR, ORDER_HASH, ORDER_TYPE)
    return typed_data_sign_signature(
        ecdsa(signer.private_key, digest), APP_SEPARATOR, ORDER_HASH, ORDER_TYPE
    )


def accepts(wallet: Any, hash_: bytes, signature: bytes) -> bool:
    result = bytes(wallet.isValidSignature(hash_, signature))
    assert result in (ERC1271_MAGIC, ERC1271_INVALID)
    return result == ERC1271_MAGIC


def test_isValidSignature__owner_personal_sign__returns_magic_value(
    chain: Any, wallet: Any, customer: Any
) -> None:
    assert accepts(wallet, HASH, personal(wallet, chain, customer))


def test_isValidSignature__owner_typed_data_sign__returns_magic_value(
    chain: Any, wallet: Any, customer: Any
) -> None:
    assert accepts(wallet, ORDER_DIGEST, typed(wallet, chain, customer))


def test_isValidSignature__typed_data_sign_for_another_hash__returns_invalid(
    chain: Any, wallet: Any, customer: Any
) -> None:
    signature = typed(wallet, chain, customer)
    assert not accepts(wallet, typed_data_hash(APP_SEPARATOR, keccak(text="other")), signature)
    assert not accepts(wallet, HASH, signature)


def test_isValidSignature__signed_for_one_wallet__is_refused_by_the_owners_other_wallet(
    chain: Any, create_wallet: Callable[..., Any], project: Any, admin: Any, customer: Any
) -> None:
    wallet_a = create_wallet(customer)
    wallet_b = create_wallet(customer, salt=OTHER_SALT)
    assert wallet_a.owner() == wallet_b.owner() == customer.address

    for_a = personal(wallet_a, chain, customer)
    assert accepts(wallet_a, HASH, for_a)
    assert not accepts(wallet_b, HASH, for_a)
    typed_for_a = typed(wallet_a, chain, customer)
    assert accepts(wallet_a, ORDER_DIGEST, typed_for_a)
    assert not accepts(wallet_b, ORDER_DIGEST, typed_for_a)

    # Positive control: under the raw-hash scheme (`recover(hash, signature) == owner`, what
    # the wallet checked before), one signature of HASH recovers the owner for every wallet it
    # owns. Two raw-hash ERC-1271 accounts of the same key (ERC1271OracleWallet checks exactly
    # that) both accept it, so the replay check above would have found the replay.
    raw = ecdsa(customer.private_key, HASH)
    assert Account._recover_hash(HASH, signature=raw) == customer.address
    raw_a = admin.deploy(project.ERC1271OracleWallet, customer)
    raw_b = admin.deploy(project.ERC1271OracleWallet, customer)
    assert bytes(raw_a.isValidSignature(HASH, raw)) == ERC1271_MAGIC
    assert bytes(raw_b.isValidSignature(HASH, raw)) == ERC1271_MAGIC
    # The wallets refuse the raw signature itself.
    assert not accepts(wallet_a, HASH, raw)
    assert not accepts(wallet_b, HASH, raw)


def test_isValidSignature__other_signer__returns_invalid(
    chain: Any, wallet: Any, other_customer: Any, stranger: Any
) -> None:
    for signer in (other_customer, stranger):
        assert not accepts(wallet, HASH, personal(wallet, chain, signer))
        assert not accepts(wallet, ORDER_DIGEST, typed(wallet, chain, signer))


def test_isValidSignature__owner_signed_other_hash__returns_invalid(
    chain: Any, wallet: Any, customer: Any
) -> None:
    signature = personal(wallet, chain, customer, keccak(text="another order"))
    assert not accepts(wallet, HASH, signature)


def test_isValidSignature__signed_for_another_chain__returns_invalid(
    chain: Any, wallet: Any, customer: Any
) -> None:
    digest = personal_sign_digest(wallet, chain.chain_id + 1, HASH)
    assert not accepts(wallet, HASH, ecdsa(customer.private_key, digest))


def test_isValidSignature__malformed__returns_invalid_without_reverting(
    chain: Any, wallet: Any, customer: Any
) -> None:
    good = personal(wallet, chain, customer)
    r, s, v = good[:32], good[32:64], good[64]
    high_s = (SECP256K1_N - int.from_bytes(s, "big")).to_bytes(32, "big")
    envelope = typed(wallet, chain, customer)
    malformed = [
        b"",
        good[:64],
        good[:-1] + b"\x00",
        good + b"\x00",
        b"\x00" * 65,
        r + high_s + bytes([55 - v]),  # the malleable twin of a valid signature
        envelope[:-1] + b"\xff",  # a descriptor length past the envelope
        envelope[:-2] + b"\x00\x00",  # an empty descriptor
    ]
    for signature in malformed:
        assert not accepts(wallet, HASH, signature)
        assert not accepts(wallet, ORDER_DIGEST, signature)


def test_isValidSignature__erc7739_probe__returns_support_value(wallet: Any) -> None:
    assert bytes(wallet.isValidSignature(ERC7739_PROBE, b"")) == bytes.fromhex("77390001")


def test_eip712Domain__names_the_wallet_itself(chain: Any, wallet: Any) -> None:
    fields = wallet.eip712Domain()
    assert (fields[1], fields[2], fields[3], fields[4]) == (
        "CoinposWallet", "1", chain.chain_id, wallet.address,
    )  # fmt: skip


def test_isValidSignature__after_ownership_transfer__follows_the_new_owner(
    chain: Any, wallet: Any, customer: Any, other_customer: Any
) -> None:
    wallet.transferOwnership(other_customer, sender=customer)
    assert accepts(wallet, HASH, personal(wallet, chain, customer))
    wallet.acceptOwnership(sender=other_customer)
    assert not accepts(wallet, HASH, personal(wallet, chain, customer))
    assert accepts(wallet, HASH, personal(wallet, chain, other_customer))


def test_isValidSignature__contract_owner__delegates_to_its_erc1271(
    chain: Any, create_wallet: Callable[..., Any], wallet: Any, customer: Any, stranger: Any
) -> None:
    """A wallet owned by a wallet: the inner wallet nests HASH in its domain, the owning wallet
    nests that digest in its own, and the key behind it signs the result."""
    nested = create_wallet(wallet)
    assert nested.owner() == wallet.address
    inner = personal_sign_digest(nested, chain.chain_id, HASH)
    assert accepts(nested, HASH, personal(wallet, chain, customer, inner))
    assert not accepts(nested, HASH, personal(wallet, chain, stranger, inner))
    # The owning wallet's own signature of HASH is not the nested wallet's.
    assert not accepts(nested, HASH, personal(wallet, chain, customer))
