"""A store's sales report.

Each invoice is valued twice, both with CONVERSION_ROUNDING in the store's currency:
- **at sale time**: the newest rate (any source) observed at or before the invoice was made;
- **now**: the newest rate no older than the maximum age (blank when there is none).

Beside the sales, the store's transaction log is counted by outcome: pending, valid
(confirmed into the valid transaction table), failed, and expired (cancelled past its
deadline).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import (
    Coin,
    ExchangeRate,
    Invoice,
    InvoiceStatus,
    TransactionLogEntry,
    TxStatus,
)
from coinpos.db.types import utcnow
from coinpos.money import fiat_value, from_base_units
from coinpos.rates.errors import RateError
from coinpos.rates.service import DEFAULT_MAX_AGE, latest_rate
from coinpos.stores.service import get_store
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError

SOLD = (InvoiceStatus.PROCESSING, InvoiceStatus.SETTLED)
CSV_COLUMNS = (
    "invoice_hash",
    "created_at",
    "coin",
    "amount",
    "status",
    "exception_status",
    "fiat",
    "rate_at_sale",
    "fiat_at_sale",
    "rate_now",
    "fiat_now",
)
COUNTED = {
    "pending": TxStatus.PENDING,
    "valid": TxStatus.CONFIRMED,
    "failed": TxStatus.FAILED,
    "expired": TxStatus.CANCELLED,
}


@dataclass(frozen=True)
class Sale:
    invoice_id: int
    invoice_hash: str
    created_at: datetime
    coin: str
    amount: Decimal
    amount_base_units: int
    decimals: int
    status: InvoiceStatus
    exception_status: str | None
    rate_at_sale: Decimal | None
    fiat_at_sale: Decimal | None
    rate_now: Decimal | None
    fiat_now: Decimal | None


@dataclass(frozen=True)
class SalesReport:
    store_id: str
    fiat: str
    sales: list[Sale]
    counts: dict[str, int]

    @property
    def sold(self) -> list[Sale]:
        """The invoices that count as sales: Processing or Settled (paid)."""
        return [sale for sale in self.sales if sale.status in SOLD]

    def total(self, field: str) -> Decimal:
        """Sum over sold invoices of `fiat_at_sale` or `fiat_now`."""
        values = [getattr(s, field) for s in self.sold]
        return sum((v for v in values if v is not None), Decimal(0))

    def summary(self) -> dict[str, object]:
        """The report's figures: the sales counted are exactly those the totals add up; the
        other invoices listed (unpaid, expired, invalid) are counted apart."""
        return {
            "store_id": self.store_id,
            "fiat": self.fiat,
            "sales": len(self.sold),
            "total_at_sale": self.total("fiat_at_sale"),
            "total_now": self.total("fiat_now"),
            "unsold_invoices": len(self.sales) - len(self.sold),
            **self.counts,
        }


def _rate_at(session: Session, coin: str, fiat: str, moment: datetime) -> Decimal | None:
    return session.scalars(
        select(ExchangeRate.rate)
        .where(
            ExchangeRate.coin == coin,
            ExchangeRate.fiat == fiat,
            ExchangeRate.observed_at <= moment,
        )
        .order_by(ExchangeRate.observed_at.desc(), ExchangeRate.id.desc())
        .limit(1)
    ).one_or_none()


def sales_report(
    uow: UnitOfWork,
    store_id: str,
    since: date | None = None,
    until: date | None = None,
    now: datetime | None = None,
    max_rate_age: timedelta = DEFAULT_MAX_AGE,
) -> SalesReport:
    """The store's invoices made from `since` to `until` (inclusive, UTC days)."""
    if since and until and since > until:
        raise InvalidInputError(f"the report starts ({since}) after it ends ({until})")
    session = uow.session
    store = get_store(uow, store_id)
    now = now or utcnow()
    query = select(Invoice, Coin).join(Coin, Coin.id == Invoice.coin_id)
    query = query.where(Invoice.store_id == store.store_id).order_by(Invoice.created_at, Invoice.id)
    if since:
        query = query.where(Invoice.created_at >= datetime.combine(since, time(), UTC))
    if until:
        end = datetime.combine(until + timedelta(days=1), time(), UTC)
        query = query.where(Invoice.created_at < end)
    current: dict[str, Decimal | None] = {}
    sales = []
    for invoice, coin in session.execute(query).tuples():
        if coin.symbol not in current:
            try:
                current[coin.symbol] = latest_rate(
                    session, coin.symbol, store.fiat, max_rate_age, now
                ).rate
            except RateError:
                current[coin.symbol] = None
        then = _rate_at(session, coin.symbol, store.fiat, invoice.created_at)
        rate_now = current[coin.symbol]
        sales.append(
            Sale(
                invoice_id=invoice.id,
                invoice_hash=invoice.invoice_hash,
                created_at=invoice.created_at,
                coin=coin.symbol,
                amount=from_base_units(invoice.amount, coin.decimals),
                amount_base_units=invoice.amount,
                decimals=coin.decimals,
                status=invoice.status,
                exception_status=invoice.exception_status,
                rate_at_sale=then,
                fiat_at_sale=None
                if then is None
                else fiat_value(invoice.amount, coin.decimals, then, store.fiat),
                rate_now=rate_now,
                fiat_now=None
                if rate_now is None
                else fiat_value(invoice.amount, coin.decimals, rate_now, store.fiat),
            )
        )
    statuses = Counter(
        session.scalars(
            select(TransactionLogEntry.status).where(TransactionLogEntry.store_id == store.store_id)
        )
    )
    counts = {name: statuses.get(status, 0) for name, status in COUNTED.items()}
    return SalesReport(store.store_id, store.fiat, sales, counts)


def write_csv(report: SalesReport, out: IO[str]) -> int:
    """Writes one line per sale; returns how many."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for sale in report.sales:
        writer.writerow(
            [
                sale.invoice_hash,
                sale.created_at.isoformat(),
                sale.coin,
                f"{sale.amount:f}",
                sale.status.value,
                sale.exception_status or "",
                report.fiat,
                "" if sale.rate_at_sale is None else f"{sale.rate_at_sale:f}",
                "" if sale.fiat_at_sale is None else f"{sale.fiat_at_sale:f}",
                "" if sale.rate_now is None else f"{sale.rate_now:f}",
                "" if sale.fiat_now is None else f"{sale.fiat_now:f}",
            ]
        )
    return len(report.sales)


@dataclass(frozen=True)
class CoinTotal:
    """FIG 9: a coin's accumulated sales (Processing or Settled) and their fiat value."""

    coin: str
    sales: int
    amount: Decimal
    fiat_at_sale: Decimal
    fiat_now: Decimal | None


def totals_by_coin(report: SalesReport) -> list[CoinTotal]:
    """Per coin, in symbol order; `fiat_now` is None when some sale has no current rate."""
    totals = []
    for coin in sorted({sale.coin for sale in report.sales}):
        sold = [s for s in report.sales if s.coin == coin and s.status in SOLD]
        now = [s.fiat_now for s in sold]
        totals.append(
            CoinTotal(
                coin=coin,
                sales=len(sold),
                amount=sum((s.amount for s in sold), Decimal(0)),
                fiat_at_sale=sum((s.fiat_at_sale or Decimal(0) for s in sold), Decimal(0)),
                fiat_now=None if None in now else sum((v or Decimal(0) for v in now), Decimal(0)),
            )
        )
    return totals
