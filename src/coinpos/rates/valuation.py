"""The fiat value of an amount of a coin at the current rate, for display (catalogue,
wallets, invoices): rounded with CONVERSION_ROUNDING, and absent when no fresh rate exists
(a stale rate is never shown as current)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from coinpos.money import fiat_value
from coinpos.rates.errors import RateError
from coinpos.rates.service import latest_rate


@dataclass(frozen=True)
class Valuation:
    fiat: str
    rate: Decimal
    value: Decimal
    observed_at: datetime


class Valuer:
    """Values amounts at the latest rates, looking each (coin, fiat) up once."""

    def __init__(self, session: Session, now: datetime | None = None) -> None:
        self._session = session
        self._now = now
        self._rates: dict[tuple[str, str], tuple[Decimal, datetime] | None] = {}

    def _rate(self, coin: str, fiat: str) -> tuple[Decimal, datetime] | None:
        if (coin, fiat) not in self._rates:
            try:
                row = latest_rate(self._session, coin, fiat, now=self._now)
                self._rates[coin, fiat] = (row.rate, row.observed_at)
            except RateError:
                self._rates[coin, fiat] = None
        return self._rates[coin, fiat]

    def value(self, coin: str, decimals: int, units: int, fiat: str) -> Valuation | None:
        found = self._rate(coin, fiat)
        if found is None:
            return None
        rate, observed = found
        return Valuation(fiat, rate, fiat_value(units, decimals, rate, fiat), observed)
