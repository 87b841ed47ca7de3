"""What the sales page shows, read from the services: the period's sales per coin (FIG 9)
with their fiat value at sale time and now and the difference, the balances a settlement
may take, and the settlement and payout history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from coinpos.db.models import Payout
from coinpos.db.types import utcnow
from coinpos.money import CONVERSION_ROUNDING, PAYOUT_ROUNDING, format_amount, quantize_fiat
from coinpos.reports.service import SOLD, SalesReport, sales_report, totals_by_coin
from coinpos.server.money import decimal_text
from coinpos.settlement.payouts import list_payouts
from coinpos.settlement.quote import available_balances
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError


@dataclass(frozen=True)
class Period:
    since: date
    until: date

    @property
    def label(self) -> str:
        if self.since == self.until:
            return f"{self.since:%Y-%m-%d}"
        return f"{self.since:%Y-%m-%d} to {self.until:%Y-%m-%d}"


def period_of(since: str | None, until: str | None, today: date | None = None) -> Period:
    """The chosen UTC days, inclusive; today by default (an empty end is the start day)."""
    day = today or utcnow().astimezone(UTC).date()
    try:
        start = date.fromisoformat(since) if since else None
        end = date.fromisoformat(until) if until else None
    except ValueError:
        raise InvalidInputError("dates are written YYYY-MM-DD") from None
    start = start or end or day
    end = end or (start if since else day)
    if start > end:
        raise InvalidInputError(f"the period starts ({start}) after it ends ({end})")
    return Period(start, end)


@dataclass(frozen=True)
class CoinRow:
    coin: str
    sales: int
    total: str
    fiat_at_sale: str
    fiat_now: str | None
    difference: str | None
    # "up", "down" or "same": the sign of the difference, for its label.
    trend: str | None


@dataclass(frozen=True)
class SaleRow:
    invoice_id: str
    created_at: datetime
    amount: str
    status: str
    note: str | None
    fiat_at_sale: str | None
    fiat_now: str | None
    sold: bool


@dataclass(frozen=True)
class SalesView:
    fiat: str
    coins: list[CoinRow]
    total_at_sale: str
    total_now: str
    sales: list[SaleRow]
    # The store's transaction log by outcome (pending, valid, failed, expired), as reported.
    counts: dict[str, int]


def payout_text(value: Decimal, fiat: str) -> str:
    """A settlement's fiat figure, stored at the minor unit already: written to the
    currency's places with PAYOUT_ROUNDING, as the payout export writes it."""
    return decimal_text(quantize_fiat(value, fiat, PAYOUT_ROUNDING))


def _money(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _difference(now: Decimal | None, then: Decimal, fiat: str) -> tuple[str | None, str | None]:
    """Now less at sale time: both are already rounded to the minor unit with
    CONVERSION_ROUNDING, so the difference is exact; the quantize names the rule anyway."""
    if now is None:
        return None, None
    difference = quantize_fiat(now - then, fiat, CONVERSION_ROUNDING)
    trend = "up" if difference > 0 else "down" if difference < 0 else "same"
    shown = decimal_text(difference)
    return (f"+{shown}" if difference > 0 else shown), trend


def sales_view(uow: UnitOfWork, store_id: str, period: Period) -> SalesView:
    report: SalesReport = sales_report(uow, store_id, period.since, period.until)
    decimals = {sale.coin: sale.decimals for sale in report.sales}
    units: dict[str, int] = {}
    for sale in report.sold:
        units[sale.coin] = units.get(sale.coin, 0) + sale.amount_base_units
    coins = []
    for total in totals_by_coin(report):
        difference, trend = _difference(total.fiat_now, total.fiat_at_sale, report.fiat)
        coins.append(
            CoinRow(
                coin=total.coin,
                sales=total.sales,
                total=format_amount(units.get(total.coin, 0), decimals[total.coin], total.coin),
                fiat_at_sale=decimal_text(total.fiat_at_sale),
                fiat_now=_money(total.fiat_now),
                difference=difference,
                trend=trend,
            )
        )
    sales = [
        SaleRow(
            invoice_id=sale.invoice_hash,
            created_at=sale.created_at,
            amount=format_amount(sale.amount_base_units, sale.decimals, sale.coin),
            status=sale.status.value,
            note=sale.exception_status,
            fiat_at_sale=_money(sale.fiat_at_sale),
            fiat_now=_money(sale.fiat_now),
            sold=sale.status in SOLD,
        )
        for sale in reversed(report.sales)
    ]
    return SalesView(
        fiat=report.fiat,
        coins=coins,
        total_at_sale=decimal_text(report.total("fiat_at_sale")),
        total_now=decimal_text(report.total("fiat_now")),
        sales=sales,
        counts=report.counts,
    )


@dataclass(frozen=True)
class BalanceRow:
    coin: str
    chain_id: int
    available: str


def balances_view(uow: UnitOfWork, store_id: str) -> list[BalanceRow]:
    return [
        BalanceRow(
            coin=coin.symbol,
            chain_id=coin.chain_id,
            available=format_amount(available, coin.decimals, coin.symbol),
        )
        for coin, available in available_balances(uow, store_id)
    ]


@dataclass(frozen=True)
class HistoryRow:
    reference: str
    requested_at: datetime
    amount: str
    rate: str
    fiat: str
    gross: str
    fee: str
    net: str
    status: str
    tx_hash: str | None
    failure: str | None
    payout: str
    paid_at: datetime | None


def history_view(uow: UnitOfWork, store_id: str) -> list[HistoryRow]:
    """The store's settlements and their payouts, newest first."""
    payouts: list[Payout] = list_payouts(uow, store_id=store_id)
    rows = []
    for payout in reversed(payouts):
        settlement = payout.settlement
        coin = settlement.coin
        rows.append(
            HistoryRow(
                reference=settlement.reference,
                requested_at=settlement.requested_at,
                amount=format_amount(settlement.amount, coin.decimals, coin.symbol),
                rate=decimal_text(settlement.rate),
                fiat=settlement.fiat,
                gross=payout_text(settlement.gross_fiat, settlement.fiat),
                fee=payout_text(settlement.fee_fiat, settlement.fiat),
                net=payout_text(settlement.net_fiat, settlement.fiat),
                status=settlement.status.value,
                tx_hash=settlement.log_entry.tx_hash,
                failure=settlement.log_entry.failure_reason,
                payout=payout.status.value,
                paid_at=payout.paid_at,
            )
        )
    return rows
