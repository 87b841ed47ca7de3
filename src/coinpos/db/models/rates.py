"""Exchange rates: one row per (coin, fiat, source, observation time)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.types import ExactDecimal, UtcDateTime, str_enum, utcnow


class RateSource(enum.StrEnum):
    FEED = "feed"
    STAFF = "staff"
    CSV = "csv"


class ExchangeRate(Base):
    __tablename__ = "exchange_rates"
    __table_args__ = (
        UniqueConstraint("coin", "fiat", "source", "observed_at"),
        Index("ix_exchange_rates_latest", "coin", "fiat", "observed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coin: Mapped[str] = mapped_column(String(16))
    fiat: Mapped[str] = mapped_column(String(3))
    source: Mapped[RateSource] = mapped_column(str_enum(RateSource, "rate_source"))
    # Fiat per one whole coin.
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(38, 18))
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
