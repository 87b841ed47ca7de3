"""Every owner-only function refuses a stranger, the factory and a previous owner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest
from eth_utils import keccak

from tests.contracts.wallet.conftest import ETH

INVOICE = keccak(text="invoice-1")

CALLS: dict[str, Callable[[Any, Any, Any, Any], Any]] = {
    "allocateCoin": lambda w, c, p, t: w.allocateCoin(t, sender=c),
    "removeCoin": lambda w, c, p, t: w.removeCoin(ETH, sender=c),
    "transferEth": lambda w, c, p, t: w.transferEth(c, 1, sender=c),
    "transferToken": lambda w, c, p, t: w.transferToken(t, c, 1, sender=c),
    "execute": lambda w, c, p, t: w.execute(p, 1, p.pay.encode_input(INVOICE, ETH, 1), sender=c),
    "payInvoice": lambda w, c, p, t: w.payInvoice(
        p, t, 1, p.pay.encode_input(INVOICE, t, 1), sender=c
    ),
    "transferOwnership": lambda w, c, p, t: w.transferOwnership(c, sender=c),
    "renounceOwnership": lambda w, c, p, t: w.renounceOwnership(sender=c),
}


@pytest.fixture
def funded_wallet(create_wallet: Callable[..., Any], customer: Any, usdt: Any, minter: Any) -> Any:
    wallet = create_wallet(customer, coins=[ETH])
    customer.transfer(wallet, 10)
    usdt.mint(wallet, 10, sender=minter)
    return wallet


@pytest.fixture
def factory_account(factory: Any, accounts: Any) -> Any:
    """The factory's address, impersonated on anvil, with ETH for gas."""
    ape.chain.provider.set_balance(factory.address, 10**18)
    return accounts[factory.address]


@pytest.fixture
def previous_owner(funded_wallet: Any, customer: Any, other_customer: Any) -> Any:
    funded_wallet.transferOwnership(other_customer, sender=customer)
    funded_wallet.acceptOwnership(sender=other_customer)
    return customer


@pytest.mark.parametrize("function", list(CALLS))
@pytest.mark.parametrize("who", ["stranger", "factory_account", "previous_owner"])
def test_owner_only__not_owner__reverts(
    request: pytest.FixtureRequest,
    funded_wallet: Any,
    payee: Any,
    usdt: Any,
    function: str,
    who: str,
) -> None:
    caller = request.getfixturevalue(who)
    owner_before = funded_wallet.owner()
    with ape.reverts(funded_wallet.OwnableUnauthorizedAccount, account=caller):
        CALLS[function](funded_wallet, caller, payee, usdt)
    assert funded_wallet.owner() == owner_before
    assert funded_wallet.coins() == [ETH]
    assert funded_wallet.balance == 10
    assert usdt.balanceOf(funded_wallet) == 10
