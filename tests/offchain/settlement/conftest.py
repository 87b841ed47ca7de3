"""A store with confirmed captures and a fresh rate, built through the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from coinpos.db.models import Coin, Store
from coinpos.rates.service import set_rate
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.factories import confirmed_capture, make_coin, make_store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CHAIN_ID = 31337


@dataclass
class Shop:
    store: Store
    coin: Coin
    engine: Engine

    def capture(self, amount: int, *, confirmed: bool = True) -> None:
        """The escrow's capture of `amount` base units for an invoice of the store (no fee),
        confirmed unless told otherwise."""
        confirmed_capture(
            self.engine, self.store.store_id, self.coin.id, amount, confirmed=confirmed
        )

    def rate(self, rate: str, age: timedelta = timedelta(minutes=1)) -> None:
        with UnitOfWork(self.engine) as uow:
            set_rate(uow, self.coin.symbol, self.store.fiat, Decimal(rate), NOW - age, now=NOW)


_counter = iter(range(1, 10**9))


def _next() -> int:
    return next(_counter)


@pytest.fixture
def make_shop(engine: Engine) -> Callable[..., Shop]:
    def make(fiat: str = "KRW", symbol: str = "CPW", decimals: int = 2) -> Shop:
        return Shop(make_store(engine, fiat=fiat), make_coin(engine, symbol, decimals), engine)

    return make


@pytest.fixture
def shop(make_shop: Callable[..., Shop]) -> Shop:
    return make_shop()
