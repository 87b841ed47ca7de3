from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import ape
from eth_utils import keccak, to_checksum_address

from tests.conftest import ONE_EMONEY
from tests.contracts.wallet.conftest import ETH

REF = keccak(text="ref")


def test_allocateCoin__appends_in_order_and_emits(
    wallet: Any, customer: Any, emoney: Any, usdt: Any
) -> None:
    tx = wallet.allocateCoin(emoney, sender=customer)
    wallet.allocateCoin(ETH, sender=customer)
    wallet.allocateCoin(usdt, sender=customer)
    assert wallet.coins() == [emoney.address, ETH, usdt.address]
    assert wallet.isCoinAllocated(ETH)
    allocated = tx.events.filter(wallet.CoinAllocated)
    assert [e.coin for e in allocated] == [emoney.address]


def test_allocateCoin__duplicate__reverts(wallet: Any, customer: Any, emoney: Any) -> None:
    wallet.allocateCoin(emoney, sender=customer)
    with ape.reverts(wallet.MultiCoinWalletCoinAlreadyAllocated, coin=emoney):
        wallet.allocateCoin(emoney, sender=customer)
    assert wallet.coins() == [emoney.address]


def test_allocateCoin__eth_duplicate__reverts(wallet: Any, customer: Any) -> None:
    wallet.allocateCoin(ETH, sender=customer)
    with ape.reverts(wallet.MultiCoinWalletCoinAlreadyAllocated, coin=ETH):
        wallet.allocateCoin(ETH, sender=customer)


def test_allocateCoin__beyond_max__reverts(
    create_wallet: Callable[..., Any], customer: Any, emoney: Any
) -> None:
    max_coins = 32
    filler = [f"0x{i:040x}" for i in range(1, max_coins + 1)]
    wallet = create_wallet(customer, coins=filler)
    assert wallet.MAX_COINS() == max_coins
    assert len(wallet.coins()) == max_coins
    with ape.reverts(wallet.MultiCoinWalletTooManyCoins, max=max_coins):
        wallet.allocateCoin(emoney, sender=customer)
    wallet.removeCoin(filler[0], sender=customer)
    wallet.allocateCoin(emoney, sender=customer)
    assert wallet.coins()[-1] == emoney.address


def test_removeCoin__keeps_order_of_the_rest(
    create_wallet: Callable[..., Any], customer: Any, emoney: Any, usdt: Any, payee: Any
) -> None:
    wallet = create_wallet(customer, coins=[ETH, emoney, usdt, payee])
    tx = wallet.removeCoin(emoney, sender=customer)
    assert wallet.coins() == [ETH, usdt.address, payee.address]
    assert not wallet.isCoinAllocated(emoney)
    assert [e.coin for e in tx.events.filter(wallet.CoinRemoved)] == [emoney.address]

    # Positions were rewritten: removing and re-adding still works at every place.
    wallet.removeCoin(payee, sender=customer)
    wallet.removeCoin(ETH, sender=customer)
    assert wallet.coins() == [usdt.address]
    wallet.allocateCoin(emoney, sender=customer)
    wallet.allocateCoin(ETH, sender=customer)
    wallet.removeCoin(usdt, sender=customer)
    assert wallet.coins() == [emoney.address, ETH]


def test_removeCoin__not_allocated__reverts(wallet: Any, customer: Any, emoney: Any) -> None:
    with ape.reverts(wallet.MultiCoinWalletCoinNotAllocated, coin=emoney):
        wallet.removeCoin(emoney, sender=customer)
    wallet.allocateCoin(emoney, sender=customer)
    wallet.removeCoin(emoney, sender=customer)
    with ape.reverts(wallet.MultiCoinWalletCoinNotAllocated, coin=emoney):
        wallet.removeCoin(emoney, sender=customer)


def test_removeCoin__leaves_the_balance_alone(
    create_wallet: Callable[..., Any], customer: Any, usdt: Any, minter: Any
) -> None:
    wallet = create_wallet(customer, coins=[usdt])
    usdt.mint(wallet, 5, sender=minter)
    wallet.removeCoin(usdt, sender=customer)
    assert usdt.balanceOf(wallet) == 5
    assert wallet.holdings() == []


def test_holdings__every_coin_with_its_balance(
    create_wallet: Callable[..., Any],
    customer: Any,
    other_customer: Any,
    minter: Any,
    emoney: Any,
    usdt: Any,
) -> None:
    wallet = create_wallet(customer, coins=[usdt, ETH, emoney])
    assert [tuple(h) for h in wallet.holdings()] == [
        (usdt.address, 0),
        (ETH, 0),
        (emoney.address, 0),
    ]
    other_customer.transfer(wallet, 12345)
    emoney.mint(wallet, 7 * ONE_EMONEY, REF, sender=minter)
    usdt.mint(wallet, 99, sender=minter)
    holdings = wallet.holdings()
    assert [(h.coin, h.balance) for h in holdings] == [
        (usdt.address, 99),
        (ETH, 12345),
        (emoney.address, 7 * ONE_EMONEY),
    ]


def test_holdings__coin_whose_balanceOf_fails__reports_zero(
    create_wallet: Callable[..., Any],
    customer: Any,
    stranger: Any,
    payee: Any,
    usdt: Any,
    minter: Any,
) -> None:
    # `payee` has no balanceOf (the call reverts); `stranger` has no code (empty return data).
    wallet = create_wallet(customer, coins=[payee, stranger, usdt])
    usdt.mint(wallet, 3, sender=minter)
    assert [tuple(h) for h in wallet.holdings()] == [
        (payee.address, 0),
        (stranger.address, 0),
        (usdt.address, 3),
    ]


def test_coin_list__random_allocate_and_remove__matches_a_list_model(
    wallet: Any, customer: Any
) -> None:
    rng = random.Random(20261123)
    pool = [ETH] + [to_checksum_address(keccak(text=f"coin-{i}")[12:]) for i in range(6)]
    model: list[str] = []
    for _ in range(40):
        absent = [c for c in pool if c not in model]
        if model and (not absent or rng.random() < 0.45):
            coin = rng.choice(model)
            wallet.removeCoin(coin, sender=customer)
            model.remove(coin)
        else:
            coin = rng.choice(absent)
            wallet.allocateCoin(coin, sender=customer)
            model.append(coin)
        assert wallet.coins() == model
    assert all(wallet.isCoinAllocated(c) == (c in model) for c in pool)
