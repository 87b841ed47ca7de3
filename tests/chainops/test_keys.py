"""The operator key: the local network's default agrees with the scripts'; nowhere else is
there a default."""

from __future__ import annotations

from typing import Any

import pytest

from coinpos.chainops.connect import is_local
from coinpos.chainops.keys import OPERATOR_KEY_ENV, OperatorKeyError, load_operator_key
from scripts._shared import ROLE_TEST_ACCOUNTS


def test_load_operator_key__local_without_key__the_scripts_operator(
    accounts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(OPERATOR_KEY_ENV, raising=False)
    key = load_operator_key(None, local=True)
    assert key.address == accounts[ROLE_TEST_ACCOUNTS["operator"]].address


def test_load_operator_key__public_network_without_key__refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(OPERATOR_KEY_ENV, raising=False)
    with pytest.raises(OperatorKeyError, match="no operator key"):
        load_operator_key(None, local=is_local("ethereum:sepolia:node"))


def test_load_operator_key__environment_wins_over_the_local_default(
    accounts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(OPERATOR_KEY_ENV, accounts[7].private_key)
    assert load_operator_key(None, local=True).address == accounts[7].address


@pytest.mark.parametrize(
    ("choice", "local"),
    [
        ("ethereum:local", True),
        ("ethereum:local:http://127.0.0.1:8545", True),
        ("ethereum:devnet:node", False),
        ("ethereum:sepolia", False),
    ],
)
def test_is_local__only_apes_local_network(choice: str, local: bool) -> None:
    assert is_local(choice) is local


def test_local_key_sign_typed__same_signature_as_eth_accounts_typed_message() -> None:
    """The digest signed directly is what eth-account signs for the EIP-712 message; a
    different struct hash gives another signature (so the comparison can fail)."""
    from eth_account import Account
    from eth_account.messages import SignableMessage

    from coinpos.chainops.keys import LocalKey

    private_key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
    separator, struct_hash = b"\x11" * 32, b"\x22" * 32
    expected = Account.sign_message(SignableMessage(b"\x01", separator, struct_hash), private_key)
    signed = LocalKey(private_key).sign_typed(separator, struct_hash)
    assert signed == bytes(expected.signature)
    assert LocalKey(private_key).sign_typed(separator, b"\x23" * 32) != signed
