"""Wallet fixtures: the factory, a wallet-creating factory fixture, and the test doubles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_utils import keccak

ZERO = "0x0000000000000000000000000000000000000000"
ETH = ZERO
SALT = keccak(text="coinpos-wallet-0")
ERC1271_MAGIC = bytes.fromhex("1626ba7e")
ERC1271_INVALID = bytes.fromhex("ffffffff")


@pytest.fixture
def factory(project: Any, admin: Any) -> Any:
    return admin.deploy(project.WalletFactory)


@pytest.fixture
def implementation(project: Any, factory: Any) -> Any:
    return project.MultiCoinWallet.at(factory.implementation())


@pytest.fixture
def create_wallet(project: Any, factory: Any, stranger: Any) -> Callable[..., Any]:
    """Factory: deploys the wallet of `owner` for `salt`, sent by `sender`; returns it."""

    def create(
        owner: Any, salt: bytes = SALT, coins: list[Any] | None = None, sender: Any = None
    ) -> Any:
        coins = coins or []
        factory.createWallet(owner, salt, coins, sender=sender or stranger)
        return project.MultiCoinWallet.at(factory.predictAddress(owner, salt, coins))

    return create


@pytest.fixture
def wallet(create_wallet: Callable[..., Any], customer: Any) -> Any:
    """The customer's wallet, with no coins allocated."""
    return create_wallet(customer)


@pytest.fixture
def usdt(project: Any, admin: Any) -> Any:
    """A USDT-style token (no bool returns, no approve between non-zero allowances)."""
    return admin.deploy(project.WalletTestToken)


@pytest.fixture
def payee(project: Any, admin: Any) -> Any:
    """A stand-in escrow whose `pay` pulls the amount with transferFrom or takes ETH."""
    return admin.deploy(project.WalletTestPayee)
