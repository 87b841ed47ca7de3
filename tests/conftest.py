"""Shared fixtures: accounts named by the role they play, and contract factories.

Every test runs inside a chain snapshot that ape reverts afterwards, so fixtures
deploy freely and tests never see each other's state.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

EMONEY_DECIMALS = 2


@pytest.fixture(autouse=True, scope="session")
def _no_call_trace_printing() -> Iterator[None]:
    """Reverts are expected in these tests and asserted by name; ape would also fetch,
    decode and print each one's full call trace, which costs about a tenth of the suite's
    time. COINPOS_TEST_TRACES=1 keeps the traces, for debugging."""
    if os.environ.get("COINPOS_TEST_TRACES") == "1":
        yield
        return
    from ape_ethereum.trace import Trace

    original = Trace.show
    Trace.show = lambda self, *args, **kwargs: None  # type: ignore[method-assign]
    yield
    Trace.show = original  # type: ignore[method-assign]


ONE_EMONEY = 10**EMONEY_DECIMALS


@pytest.fixture(scope="session")
def admin(accounts: Any) -> Any:
    """The exchange's admin key: grants roles and pauses."""
    return accounts[0]


@pytest.fixture(scope="session")
def operator(accounts: Any) -> Any:
    """The exchange's operator key: signs invoices, sweeps, captures, refunds, settles."""
    return accounts[1]


@pytest.fixture(scope="session")
def minter(accounts: Any) -> Any:
    """The exchange's minter key: issues e-money."""
    return accounts[2]


@pytest.fixture(scope="session")
def oracle(accounts: Any) -> Any:
    """The exchange's oracle key: signs location attestations."""
    return accounts[3]


@pytest.fixture(scope="session")
def treasury(accounts: Any) -> Any:
    """The exchange's treasury: receives settled coins."""
    return accounts[4]


@pytest.fixture(scope="session")
def customer(accounts: Any) -> Any:
    """A shopper with an ordinary wallet."""
    return accounts[5]


@pytest.fixture(scope="session")
def other_customer(accounts: Any) -> Any:
    return accounts[6]


@pytest.fixture(scope="session")
def stranger(accounts: Any) -> Any:
    """An account with no role at all, for access-control tests."""
    return accounts[7]


@pytest.fixture(scope="session")
def deploy_emoney(project: Any, admin: Any) -> Callable[..., Any]:
    """Factory: deploys an EMoney coin; returns the contract."""

    def deploy(
        name: str = "Coinpos Won",
        symbol: str = "CPW",
        decimals: int = EMONEY_DECIMALS,
        owner: Any = None,
    ) -> Any:
        owner = owner or admin
        return owner.deploy(project.EMoney, name, symbol, decimals, owner)

    return deploy


@pytest.fixture
def emoney(deploy_emoney: Callable[..., Any], admin: Any, minter: Any) -> Any:
    """An EMoney coin whose minter and burner role is held by `minter`."""
    coin = deploy_emoney()
    coin.grantRole(coin.MINTER_ROLE(), minter, sender=admin)
    coin.grantRole(coin.BURNER_ROLE(), minter, sender=admin)
    return coin


@pytest.fixture
def price_feed(project: Any, admin: Any) -> Any:
    """A mock ETH/USD feed with 8 decimals and no round published yet."""
    return admin.deploy(project.MockPriceFeed, "ETH / USD", 8, admin)


@pytest.fixture
def fresh_deployer(accounts: Any) -> Any:
    """A new, funded account with no history, for deployments that are meant to revert.

    When a deployment reverts, ape prints its trace and decodes the constructor calldata
    with the contract type it has cached at the address the sender's nonce predicts. After
    other tests deployed something else from the same sender and nonce (then reverted to a
    snapshot), that cache is stale and decoding fails. A sender without history avoids it.
    """
    account = accounts.generate_test_account()
    accounts[0].transfer(account, 10**18)
    return account
