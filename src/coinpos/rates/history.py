"""The recorded rates of one coin in one fiat, newest first (FIG 5D's rate history)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import ExchangeRate
from coinpos.money import fiat_places
from coinpos.validation import coin_symbol


def rate_history(
    session: Session, coin: str, fiat: str, since: datetime | None = None, limit: int = 100
) -> list[ExchangeRate]:
    coin_symbol(coin)
    fiat_places(fiat)
    query = select(ExchangeRate).where(ExchangeRate.coin == coin, ExchangeRate.fiat == fiat)
    if since is not None:
        query = query.where(ExchangeRate.observed_at >= since)
    query = query.order_by(ExchangeRate.observed_at.desc(), ExchangeRate.id.desc()).limit(limit)
    return list(session.scalars(query))
