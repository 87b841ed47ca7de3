"""ERC-1271: a wallet accepts exactly its owner's signatures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account import Account
from eth_utils import keccak

from tests.contracts.wallet.conftest import ERC1271_INVALID, ERC1271_MAGIC

HASH = keccak(text="order #42: 10,000 KRW")
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def sign(account: Any, digest: bytes = HASH) -> bytes:
    return bytes(Account.unsafe_sign_hash(digest, account.private_key).signature)


def test_isValidSignature__owner__returns_magic_value(wallet: Any, customer: Any) -> None:
    assert bytes(wallet.isValidSignature(HASH, sign(customer))) == ERC1271_MAGIC


def test_isValidSignature__other_signer__returns_invalid(
    wallet: Any, other_customer: Any, stranger: Any
) -> None:
    for signer in (other_customer, stranger):
        assert bytes(wallet.isValidSignature(HASH, sign(signer))) == ERC1271_INVALID


def test_isValidSignature__owner_signed_other_hash__returns_invalid(
    wallet: Any, customer: Any
) -> None:
    signature = sign(customer, keccak(text="another order"))
    assert bytes(wallet.isValidSignature(HASH, signature)) == ERC1271_INVALID


def test_isValidSignature__malformed__returns_invalid_without_reverting(
    wallet: Any, customer: Any
) -> None:
    good = sign(customer)
    r, s, v = good[:32], good[32:64], good[64]
    high_s = (SECP256K1_N - int.from_bytes(s, "big")).to_bytes(32, "big")
    malformed = [
        b"",
        good[:64],
        good[:-1] + b"\x00",
        good + b"\x00",
        b"\x00" * 65,
        r + high_s + bytes([55 - v]),  # the malleable twin of a valid signature
    ]
    for signature in malformed:
        assert bytes(wallet.isValidSignature(HASH, signature)) == ERC1271_INVALID


def test_isValidSignature__after_ownership_transfer__follows_the_new_owner(
    wallet: Any, customer: Any, other_customer: Any
) -> None:
    wallet.transferOwnership(other_customer, sender=customer)
    assert bytes(wallet.isValidSignature(HASH, sign(customer))) == ERC1271_MAGIC
    wallet.acceptOwnership(sender=other_customer)
    assert bytes(wallet.isValidSignature(HASH, sign(customer))) == ERC1271_INVALID
    assert bytes(wallet.isValidSignature(HASH, sign(other_customer))) == ERC1271_MAGIC


def test_isValidSignature__contract_owner__delegates_to_its_erc1271(
    create_wallet: Callable[..., Any], wallet: Any, customer: Any, stranger: Any
) -> None:
    nested = create_wallet(wallet)
    assert nested.owner() == wallet.address
    assert bytes(nested.isValidSignature(HASH, sign(customer))) == ERC1271_MAGIC
    assert bytes(nested.isValidSignature(HASH, sign(stranger))) == ERC1271_INVALID
