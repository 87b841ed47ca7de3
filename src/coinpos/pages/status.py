"""An invoice's status as the pages show it: the words the counter and the shopper read,
and the transactions that paid it (for the receipt)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select

from coinpos.db.models import (
    Coin,
    Invoice,
    InvoiceExceptionStatus,
    InvoiceStatus,
    TransactionLogEntry,
    TxKind,
)
from coinpos.invoices.events import FINAL_STATUSES
from coinpos.money import format_amount
from coinpos.server.money import CoinAmount, coin_amount
from coinpos.unit_of_work import UnitOfWork

_LABELS = {
    InvoiceStatus.NEW: "Waiting for payment",
    InvoiceStatus.PROCESSING: "Processing: confirming the payment",
    InvoiceStatus.SETTLED: "Approved",
    InvoiceStatus.EXPIRED: "Expired",
    InvoiceStatus.INVALID: "Cancelled",
}


def _words(
    status: InvoiceStatus,
    exception: InvoiceExceptionStatus | None,
    price: int,
    paid: int,
    show: Callable[[int], str],
) -> tuple[str, str | None]:
    """The status's headline and what the clerk should do about it."""
    missing, extra = price - paid, paid - price
    if exception is InvoiceExceptionStatus.PAID_LATE:
        return (
            "Paid after the deadline",
            f"{show(paid)} arrived too late to approve the sale: a manager refunds it "
            "from the sales page; start a new sale.",
        )
    if status is InvoiceStatus.EXPIRED and exception is InvoiceExceptionStatus.PAID_PARTIAL:
        return (
            "Expired: underpaid",
            f"Only {show(paid)} of {show(price)} arrived before the deadline: the sale is "
            "not approved. A manager refunds what was paid from the sales page; start a "
            "new sale.",
        )
    if status is InvoiceStatus.EXPIRED:
        return "Expired", "No payment arrived in time. Start a new sale."
    if status is InvoiceStatus.INVALID:
        return (
            "Cancelled",
            "This invoice is void (cancelled, or its payment was dropped before it was "
            "confirmed). Start a new sale.",
        )
    if exception is InvoiceExceptionStatus.PAID_PARTIAL:
        return (
            "Underpaid",
            f"Received {show(paid)} of {show(price)}: ask the shopper to send the missing "
            f"{show(missing)} to the same address before the deadline.",
        )
    if exception is InvoiceExceptionStatus.PAID_OVER:
        if status is InvoiceStatus.SETTLED:
            return (
                "Approved: overpaid",
                f"Received {show(paid)} for {show(price)}: a manager refunds the extra "
                f"{show(extra)} from the sales page.",
            )
        return (
            "Overpaid",
            f"Received {show(paid)} for {show(price)}: once approved, a manager refunds "
            f"the extra {show(extra)} from the sales page.",
        )
    return _LABELS[status], None


class PageStatus(BaseModel):
    id: str
    status: InvoiceStatus
    exception_status: InvoiceExceptionStatus | None
    label: str
    note: str | None
    final: bool
    approved: bool
    price: CoinAmount
    price_shown: str
    amount_paid: CoinAmount
    paid_shown: str
    expires_at: datetime
    transactions: list[str]


def page_status(uow: UnitOfWork, invoice: Invoice) -> PageStatus:
    coin = uow.session.get(Coin, invoice.coin_id)
    assert coin is not None  # a foreign key guarantees it
    hashes = uow.session.scalars(
        select(TransactionLogEntry.tx_hash)
        .where(
            TransactionLogEntry.invoice_id == invoice.id,
            TransactionLogEntry.kind == TxKind.PAYMENT,
            TransactionLogEntry.tx_hash.is_not(None),
        )
        .order_by(TransactionLogEntry.id)
    )
    paid = invoice.amount_paid or 0

    def show(units: int) -> str:
        return format_amount(units, coin.decimals, coin.symbol)

    label, note = _words(invoice.status, invoice.exception_status, invoice.amount, paid, show)
    return PageStatus(
        id=invoice.invoice_hash,
        status=invoice.status,
        exception_status=invoice.exception_status,
        label=label,
        note=note,
        final=invoice.status in FINAL_STATUSES,
        approved=invoice.status is InvoiceStatus.SETTLED,
        price=coin_amount(coin.symbol, coin.decimals, invoice.amount),
        price_shown=format_amount(invoice.amount, coin.decimals, coin.symbol),
        amount_paid=coin_amount(coin.symbol, coin.decimals, paid),
        paid_shown=show(paid),
        expires_at=invoice.pay_deadline,
        transactions=[h for h in hashes if h is not None],
    )
