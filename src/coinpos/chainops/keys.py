"""The operator key: signs invoice digests (EIP-712) and the exchange's transactions.

It comes from an ape account alias (`ape accounts import <alias>`) or from the environment
(`COINPOS_OPERATOR_KEY`, a hex private key), never from the repository. On ape's local
network only, it defaults to the operator the scripts and the deploy script use there: test
account 1 of the public test mnemonic in ape-config.yaml (what anvil funds by default). No
public network ever gets a default key.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from eth_account import Account
from eth_account.messages import SignableMessage
from eth_account.signers.local import LocalAccount
from eth_typing import Hash32

from coinpos.errors import CoinposError

OPERATOR_KEY_ENV = "COINPOS_OPERATOR_KEY"
# The test account that holds the operator role on the local network (deployments/params.yaml,
# scripts/_shared.py ROLE_TEST_ACCOUNTS).
LOCAL_OPERATOR_TEST_ACCOUNT = 1


class OperatorKeyError(CoinposError):
    """No usable operator key."""


class OperatorKey(Protocol):
    @property
    def address(self) -> str: ...

    def sign_digest(self, digest: bytes) -> bytes:
        """A 65-byte r‖s‖v signature of a 32-byte digest (no prefix added)."""
        ...

    def sign_typed(self, domain_separator: bytes, struct_hash: bytes) -> bytes:
        """A 65-byte r‖s‖v EIP-712 signature of the struct hash under the domain separator."""
        ...

    def sign_transaction(self, tx: dict[str, Any]) -> bytes:
        """The raw signed transaction, ready for eth_sendRawTransaction."""
        ...


class LocalKey:
    """A private key held in memory (from the environment, or a test account)."""

    def __init__(self, private_key: str | bytes) -> None:
        try:
            self._account: LocalAccount = Account.from_key(private_key)
        except (ValueError, TypeError) as exc:
            raise OperatorKeyError(f"the operator key is not a valid private key: {exc}") from None

    @property
    def address(self) -> str:
        return str(self._account.address)

    def sign_digest(self, digest: bytes) -> bytes:
        return bytes(self._account.unsafe_sign_hash(Hash32(digest)).signature)

    def sign_typed(self, domain_separator: bytes, struct_hash: bytes) -> bytes:
        return bytes(self._account.sign_message(_typed(domain_separator, struct_hash)).signature)

    def sign_transaction(self, tx: dict[str, Any]) -> bytes:
        return bytes(self._account.sign_transaction(tx).raw_transaction)


class ApeAccountKey:
    """An ape account (a keyfile alias, or a test account); ape asks for its passphrase."""

    def __init__(self, account: Any) -> None:
        self._account = account

    @property
    def address(self) -> str:
        return str(self._account.address)

    def sign_digest(self, digest: bytes) -> bytes:
        signature = self._account.sign_raw_msghash(digest)
        if signature is None:
            raise OperatorKeyError(f"account {self.address} refused to sign the invoice")
        return bytes(signature.encode_rsv())

    def sign_typed(self, domain_separator: bytes, struct_hash: bytes) -> bytes:
        """Signed as an EIP-712 message, so an unlocked keyfile account signs without asking."""
        signature = self._account.sign_message(_typed(domain_separator, struct_hash))
        if signature is None:
            raise OperatorKeyError(f"account {self.address} refused to sign the invoice")
        return bytes(signature.encode_rsv())

    def sign_transaction(self, tx: dict[str, Any]) -> bytes:
        from ape import networks

        txn = networks.provider.network.ecosystem.create_transaction(**tx)
        signed = self._account.sign_transaction(txn)
        if signed is None:
            raise OperatorKeyError(f"account {self.address} refused to sign the transaction")
        return bytes(signed.serialize_transaction())


def _typed(domain_separator: bytes, struct_hash: bytes) -> SignableMessage:
    """EIP-712's `0x19 0x01 ‖ domainSeparator ‖ hashStruct(message)`, as eth-account signs it."""
    return SignableMessage(b"\x01", domain_separator, struct_hash)


def load_operator_key(alias: str | None = None, local: bool = False) -> OperatorKey:
    """The ape account `alias` if given, else the key in $COINPOS_OPERATOR_KEY, else (on the
    local network only) the local operator test account."""
    if alias:
        from ape import accounts
        from ape.exceptions import AccountsError

        try:
            return ApeAccountKey(accounts.load(alias))
        except (AccountsError, IndexError, KeyError):
            raise OperatorKeyError(f"no ape account {alias!r} (see `ape accounts list`)") from None
    key = os.environ.get(OPERATOR_KEY_ENV)
    if not key and local:
        from ape import accounts

        return LocalKey(accounts.test_accounts[LOCAL_OPERATOR_TEST_ACCOUNT].private_key)
    if not key:
        raise OperatorKeyError(
            f"no operator key: pass --operator <ape account alias> or set ${OPERATOR_KEY_ENV}"
        )
    return LocalKey(key)
