"""Money columns keep every digit on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from coinpos.db.models import Coin, ExchangeRate, RateSource, Store, StoreBalance

MAX_UINT256 = 2**256 - 1


def _store_and_coin(session: Session) -> tuple[Store, Coin]:
    store = Store(store_id="0x" + "ab" * 32, name="Cafe", fiat="KRW")
    coin = Coin(chain_id=1, symbol="ETH", address=None, decimals=18)
    session.add_all([store, coin])
    session.flush()
    return store, coin


@pytest.mark.postgres
def test_uint256_column__round_trips_the_largest_value(engine: Engine) -> None:
    with Session(engine) as session:
        store, coin = _store_and_coin(session)
        session.add(
            StoreBalance(store_id=store.store_id, coin_id=coin.id, captured=MAX_UINT256, settled=1)
        )
        session.commit()
    with Session(engine) as session:
        balance = session.scalars(select(StoreBalance)).one()
        assert balance.captured == MAX_UINT256
        assert balance.available == MAX_UINT256 - 1


@pytest.mark.postgres
def test_uint256_column__refuses_a_negative_value(engine: Engine) -> None:
    with Session(engine) as session:
        store, coin = _store_and_coin(session)
        session.add(StoreBalance(store_id=store.store_id, coin_id=coin.id, captured=-1, settled=0))
        with pytest.raises(StatementError, match="outside the uint256 range"):
            session.commit()


@pytest.mark.postgres
def test_decimal_column__round_trips_38_significant_digits(engine: Engine) -> None:
    rate = Decimal("12345678901234567890.123456789012345678")
    observed = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    with Session(engine) as session:
        session.add(
            ExchangeRate(
                coin="ETH", fiat="KRW", source=RateSource.STAFF, rate=rate, observed_at=observed
            )
        )
        session.commit()
    with Session(engine) as session:
        row = session.scalars(select(ExchangeRate)).one()
        assert row.rate == rate
        assert row.observed_at == observed


@pytest.mark.postgres
def test_decimal_column__refuses_more_places_than_its_scale(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(
            ExchangeRate(
                coin="ETH",
                fiat="KRW",
                source=RateSource.STAFF,
                rate=Decimal("1." + "1" * 19),
                observed_at=datetime(2026, 11, 23, tzinfo=UTC),
            )
        )
        with pytest.raises(StatementError, match="more than 18 decimal places"):
            session.commit()
