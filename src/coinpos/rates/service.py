"""Recording rates (staff, CSV, feed) and finding the latest fresh one."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import Coin, ExchangeRate, RateSource
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError
from coinpos.money import fiat_places, fits_places, parse_decimal
from coinpos.rates.chainlink import FeedRound, rate_from_round
from coinpos.rates.errors import RateError, RateImportError, RateNotFoundError, StaleRateError
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import aware_datetime, coin_symbol

DEFAULT_MAX_AGE = timedelta(hours=1)
# A little clock skew between the staff's machine, the feed and this host is tolerated.
FUTURE_TOLERANCE = timedelta(minutes=5)
CSV_COLUMNS = ("coin", "fiat", "rate", "observed_at")
RATE_SCALE = 18


@dataclass(frozen=True)
class RateInput:
    coin: str
    fiat: str
    rate: Decimal
    observed_at: datetime


def validate(
    coin: str, fiat: str, rate: Decimal, observed_at: datetime, now: datetime
) -> RateInput:
    coin_symbol(coin)
    fiat_places(fiat)
    if not rate.is_finite() or rate <= 0:
        raise RateError(f"rate {rate} must be a positive number")
    if not fits_places(rate, RATE_SCALE):
        raise RateError(f"rate {rate} has more than {RATE_SCALE} decimal places")
    if observed_at.tzinfo is None:
        raise RateError("observation time must carry a time zone")
    if observed_at > now + FUTURE_TOLERANCE:
        raise RateError(f"observation time {observed_at.isoformat()} is in the future")
    return RateInput(coin, fiat, rate, observed_at)


def _registered(session: Session, coin: str) -> None:
    """A rate is for a coin the exchange accepts (on any chain): a typo is refused, not kept."""
    if session.scalars(select(Coin.id).where(Coin.symbol == coin).limit(1)).first() is None:
        raise RateError(f"no coin {coin} is registered (see `coinpos coins list`)")


def _exists(session: Session, item: RateInput, source: RateSource) -> ExchangeRate | None:
    return session.scalars(
        select(ExchangeRate).where(
            ExchangeRate.coin == item.coin,
            ExchangeRate.fiat == item.fiat,
            ExchangeRate.source == source,
            ExchangeRate.observed_at == item.observed_at,
        )
    ).one_or_none()


def set_rate(
    uow: UnitOfWork,
    coin: str,
    fiat: str,
    rate: Decimal,
    observed_at: datetime | None = None,
    now: datetime | None = None,
) -> ExchangeRate:
    """Records a rate entered by staff."""
    now = now or utcnow()
    item = validate(coin, fiat, rate, observed_at or now, now)
    _registered(uow.session, item.coin)
    if _exists(uow.session, item, RateSource.STAFF):
        raise RateError(
            f"a staff {coin}/{fiat} rate observed at {item.observed_at.isoformat()} already exists"
        )
    row = ExchangeRate(source=RateSource.STAFF, **vars(item))
    uow.session.add(row)
    uow.commit()
    return row


def parse_csv(text: str, now: datetime) -> list[RateInput]:
    """Validates a whole rate file (columns coin, fiat, rate, observed_at).

    Every problem is collected with its line number; any problem refuses the whole file.
    """
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or tuple(reader.fieldnames) != CSV_COLUMNS:
        raise RateImportError([f"header must be {','.join(CSV_COLUMNS)}"])
    items: list[RateInput] = []
    problems: list[str] = []
    seen: set[tuple[str, str, datetime]] = set()
    for line, row in enumerate(reader, start=2):
        try:
            if None in row or any(row[c] is None for c in CSV_COLUMNS):
                raise RateError("wrong number of columns")
            item = validate(
                row["coin"].strip(),
                row["fiat"].strip(),
                parse_decimal(row["rate"], "rate"),
                aware_datetime(row["observed_at"].strip(), "observed_at"),
                now,
            )
        except CoinposError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        key = (item.coin, item.fiat, item.observed_at)
        if key in seen:
            problems.append(f"line {line}: repeats {item.coin}/{item.fiat} at the same time")
            continue
        seen.add(key)
        items.append(item)
    if problems:
        raise RateImportError(problems)
    if not items:
        raise RateImportError(["the file has no rates"])
    return items


def import_csv(uow: UnitOfWork, text: str, now: datetime | None = None) -> int:
    """Imports a rate file all-or-nothing; returns the number of rates recorded."""
    items = parse_csv(text, now or utcnow())
    for coin in sorted({i.coin for i in items}):
        _registered(uow.session, coin)
    clashes = [
        f"{i.coin}/{i.fiat} at {i.observed_at.isoformat()} is already recorded"
        for i in items
        if _exists(uow.session, i, RateSource.CSV)
    ]
    if clashes:
        raise RateImportError(clashes)
    uow.session.add_all(ExchangeRate(source=RateSource.CSV, **vars(i)) for i in items)
    uow.commit()
    return len(items)


def record_feed_round(
    uow: UnitOfWork, coin: str, fiat: str, feed_round: FeedRound, now: datetime | None = None
) -> ExchangeRate:
    """Records a feed round; reading the same round again returns the row already stored."""
    rate, observed_at = rate_from_round(
        feed_round.answer, feed_round.decimals, feed_round.updated_at
    )
    item = validate(coin, fiat, rate, observed_at, now or utcnow())
    existing = _exists(uow.session, item, RateSource.FEED)
    if existing is not None:
        return existing
    row = ExchangeRate(source=RateSource.FEED, **vars(item))
    uow.session.add(row)
    uow.commit()
    return row


def latest_rate(
    session: Session,
    coin: str,
    fiat: str,
    max_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
) -> ExchangeRate:
    """The most recently observed rate from any source; StaleRateError if it is too old."""
    now = now or utcnow()
    row = session.scalars(
        select(ExchangeRate)
        .where(ExchangeRate.coin == coin, ExchangeRate.fiat == fiat)
        .order_by(ExchangeRate.observed_at.desc(), ExchangeRate.id.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        raise RateNotFoundError(coin, fiat)
    age = now - row.observed_at
    if age > max_age:
        raise StaleRateError(coin, fiat, row.observed_at, age, max_age)
    return row
