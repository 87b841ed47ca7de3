"""A malicious token calling back into the wallet mid-transfer gets nothing unauthorized."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak

from tests.contracts.wallet.conftest import ETH

INVOICE = keccak(text="invoice-1")


def unauthorized(account: Any) -> bytes:
    return keccak(text="OwnableUnauthorizedAccount(address)")[:4] + encode(
        ["address"], [str(account)]
    )


@pytest.fixture
def funded(create_wallet: Callable[..., Any], customer: Any, minter: Any, usdt: Any) -> Any:
    wallet = create_wallet(customer, coins=[ETH, usdt])
    customer.transfer(wallet, 10**18)
    usdt.mint(wallet, 1_000, sender=minter)
    return wallet


def attacks(wallet: Any, usdt: Any, payee: Any, thief: Any) -> dict[str, bytes]:
    """Calls the token makes into the wallet, each trying to move funds to `thief`."""
    return {
        "transferToken": wallet.transferToken.encode_input(usdt, thief, 1_000),
        "transferEth": wallet.transferEth.encode_input(thief, 10**18),
        "execute": wallet.execute.encode_input(usdt, 0, usdt.transfer.encode_input(thief, 1_000)),
        "payInvoice": wallet.payInvoice.encode_input(
            payee, usdt, 1_000, payee.pay.encode_input(INVOICE, usdt, 1_000)
        ),
        "transferOwnership": wallet.transferOwnership.encode_input(thief),
    }


ATTACKS = ["transferToken", "transferEth", "execute", "payInvoice", "transferOwnership"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_transferToken__reentrant_token__cannot_move_anything_else(
    funded: Any,
    customer: Any,
    other_customer: Any,
    stranger: Any,
    usdt: Any,
    payee: Any,
    attack: str,
) -> None:
    usdt.setHook(funded, attacks(funded, usdt, payee, stranger)[attack], sender=stranger)
    funded.transferToken(usdt, other_customer, 100, sender=customer)

    assert usdt.hookRan()
    assert not usdt.hookSucceeded()
    assert bytes(usdt.hookReturnData()) == unauthorized(usdt)
    assert usdt.balanceOf(other_customer) == 100
    assert usdt.balanceOf(funded) == 900
    assert usdt.balanceOf(stranger) == 0
    assert funded.balance == 10**18
    assert funded.owner() == customer.address
    assert funded.pendingOwner() != stranger.address


@pytest.mark.parametrize("attack", ATTACKS)
def test_payInvoice__reentrant_token__cannot_move_anything_else(
    funded: Any, customer: Any, stranger: Any, usdt: Any, payee: Any, attack: str
) -> None:
    usdt.setHook(funded, attacks(funded, usdt, payee, stranger)[attack], sender=stranger)
    funded.payInvoice(payee, usdt, 300, payee.pay.encode_input(INVOICE, usdt, 300), sender=customer)

    assert usdt.hookRan()
    assert not usdt.hookSucceeded()
    assert bytes(usdt.hookReturnData()) == unauthorized(usdt)
    assert usdt.balanceOf(payee) == 300
    assert usdt.balanceOf(funded) == 700
    assert usdt.balanceOf(stranger) == 0
    assert usdt.allowance(funded, payee) == 0
    assert funded.balance == 10**18
    assert funded.owner() == customer.address
    assert funded.pendingOwner() != stranger.address
