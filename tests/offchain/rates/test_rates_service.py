from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from coinpos.db.models import ExchangeRate, RateSource
from coinpos.money import UnknownCurrencyError
from coinpos.rates.chainlink import FeedRound
from coinpos.rates.errors import RateError, RateImportError, RateNotFoundError, StaleRateError
from coinpos.rates.service import import_csv, latest_rate, record_feed_round, set_rate
from coinpos.stores.service import add_coin
from coinpos.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def coins(engine: Engine) -> None:
    """Rates are recorded only for coins the exchange accepts."""
    with UnitOfWork(engine) as uow:
        add_coin(uow, "ETH", 1, 18)
        add_coin(uow, "CPW", 1, 2, "0x" + "11" * 20)
        uow.commit()


def _count(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(ExchangeRate)) or 0


@pytest.mark.postgres
def test_latest_rate__returns_the_newest_observation_of_any_source(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        set_rate(uow, "ETH", "KRW", Decimal("4000000"), NOW - timedelta(minutes=10), now=NOW)
        record_feed_round(
            uow, "ETH", "KRW", FeedRound(4_100_000_00000000, 8, int(NOW.timestamp()) - 60), now=NOW
        )
    with UnitOfWork(engine) as uow:
        rate = latest_rate(uow.session, "ETH", "KRW", timedelta(minutes=5), now=NOW)
        assert rate.rate == Decimal(4_100_000)
        assert rate.source is RateSource.FEED


@pytest.mark.postgres
def test_latest_rate__older_than_max_age__raises_stale_rate(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        set_rate(uow, "ETH", "USD", Decimal("3000.12"), NOW - timedelta(hours=2), now=NOW)
        with pytest.raises(StaleRateError, match="stale: observed 2026-11-23T10:00:00"):
            latest_rate(uow.session, "ETH", "USD", timedelta(hours=1), now=NOW)


def test_latest_rate__none_recorded__says_so(engine: Engine) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(RateNotFoundError, match="no ETH/USD rate"):
        latest_rate(uow.session, "ETH", "USD", now=NOW)


def test_set_rate__refuses_negative_future_and_unknown_fiat(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        with pytest.raises(RateError, match="positive"):
            set_rate(uow, "ETH", "USD", Decimal("-1"), now=NOW)
        with pytest.raises(RateError, match="future"):
            set_rate(uow, "ETH", "USD", Decimal(1), NOW + timedelta(hours=1), now=NOW)
        with pytest.raises(UnknownCurrencyError, match="XYZ"):
            set_rate(uow, "ETH", "XYZ", Decimal(1), now=NOW)
    assert _count(engine) == 0


def test_set_rate__same_observation_twice__is_refused(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        set_rate(uow, "ETH", "USD", Decimal(1), NOW, now=NOW)
        with pytest.raises(RateError, match="already exists"):
            set_rate(uow, "ETH", "USD", Decimal(2), NOW, now=NOW)
    assert _count(engine) == 1


def test_record_feed_round__same_round_twice__stores_one_row(engine: Engine) -> None:
    feed_round = FeedRound(300_000_000_000, 8, int(NOW.timestamp()))
    with UnitOfWork(engine) as uow:
        first = record_feed_round(uow, "ETH", "USD", feed_round, now=NOW)
        second = record_feed_round(uow, "ETH", "USD", feed_round, now=NOW)
        assert first.id == second.id
    assert _count(engine) == 1


@pytest.mark.postgres
def test_import_csv__good_file__records_every_row(engine: Engine) -> None:
    text = (
        "coin,fiat,rate,observed_at\n"
        "ETH,KRW,4000000,2026-11-23T11:00:00Z\n"
        "ETH,USD,3000.5,2026-11-23T11:00:00+00:00\n"
        "CPW,KRW,1,2026-11-23T11:30:00+09:00\n"
    )
    with UnitOfWork(engine) as uow:
        assert import_csv(uow, text, now=NOW) == 3
    with UnitOfWork(engine) as uow:
        cpw = latest_rate(uow.session, "CPW", "KRW", timedelta(days=1), now=NOW)
        assert cpw.observed_at == datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
        assert cpw.source is RateSource.CSV


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("ETH,KRW,-4,2026-11-23T11:00:00Z", "line 3: rate '-4' is negative"),
        ("ETH,KRW,abc,2026-11-23T11:00:00Z", "line 3: rate 'abc' is not a number"),
        ("ETH,KRW,4,2026-11-23", "line 3: observed_at '2026-11-23' has no time zone"),
        ("ETH,KRW,4,yesterday", "line 3: observed_at 'yesterday' is not an ISO 8601"),
        ("eth,KRW,4,2026-11-23T11:00:00Z", "line 3: coin 'eth'"),
        ("ETH,KRW,4", "line 3: wrong number of columns"),
        ("ETH,USD,1,2026-11-23T11:00:00Z", "line 3: repeats ETH/USD"),
    ],
)
def test_import_csv__one_bad_row__imports_nothing(
    engine: Engine, bad_line: str, message: str
) -> None:
    text = f"coin,fiat,rate,observed_at\nETH,USD,3000,2026-11-23T11:00:00Z\n{bad_line}\n"
    with UnitOfWork(engine) as uow, pytest.raises(RateImportError, match=message):
        import_csv(uow, text, now=NOW)
    assert _count(engine) == 0


def test_import_csv__rows_already_recorded__imports_nothing(engine: Engine) -> None:
    text = "coin,fiat,rate,observed_at\nETH,USD,3000,2026-11-23T11:00:00Z\n"
    with UnitOfWork(engine) as uow:
        import_csv(uow, text, now=NOW)
    with UnitOfWork(engine) as uow, pytest.raises(RateImportError, match="already recorded"):
        import_csv(uow, text + "ETH,USD,3001,2026-11-23T11:01:00Z\n", now=NOW)
    assert _count(engine) == 1


def test_set_rate__unregistered_coin__is_refused(engine: Engine) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(RateError, match="no coin DOGE is registered"):
        set_rate(uow, "DOGE", "KRW", Decimal(100), now=NOW)
    text = "coin,fiat,rate,observed_at\nDOGE,KRW,100,2026-11-23T11:00:00Z\n"
    with UnitOfWork(engine) as uow, pytest.raises(RateError, match="no coin DOGE is registered"):
        import_csv(uow, text, now=NOW)
    assert _count(engine) == 0


def test_import_csv__wrong_header__is_refused(engine: Engine) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(RateImportError, match="header"):
        import_csv(uow, "coin,rate\nETH,1\n", now=NOW)
