"""An invoice's status as the pages show it: the words the counter and the shopper read,
and the transactions that paid it (for the receipt)."""

from __future__ import annotations

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
from coinpos.money import format_amount
from coinpos.server.money import CoinAmount, coin_amount
from coinpos.unit_of_work import UnitOfWork

_LABELS = {
    InvoiceStatus.NEW: "Waiting for payment",
    InvoiceStatus.PROCESSING: "Processing: confirming the payment",
    InvoiceStatus.SETTLED: "Approved",
    InvoiceStatus.EXPIRED: "Expired: start a new sale",
    InvoiceStatus.INVALID: "Cancelled",
}
_EXCEPTIONS = {
    InvoiceExceptionStatus.PAID_PARTIAL: "Underpaid: ask for the rest, or refund it",
    InvoiceExceptionStatus.PAID_OVER: "Overpaid: refund the difference",
    InvoiceExceptionStatus.PAID_LATE: "Paid after the deadline: refund it",
}


class PageStatus(BaseModel):
    id: str
    status: InvoiceStatus
    exception_status: InvoiceExceptionStatus | None
    label: str
    note: str | None
    final: bool
    price: CoinAmount
    price_shown: str
    amount_paid: CoinAmount
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
    return PageStatus(
        id=invoice.invoice_hash,
        status=invoice.status,
        exception_status=invoice.exception_status,
        label=_LABELS[invoice.status],
        note=_EXCEPTIONS.get(invoice.exception_status) if invoice.exception_status else None,
        final=invoice.status
        in (InvoiceStatus.SETTLED, InvoiceStatus.EXPIRED, InvoiceStatus.INVALID),
        price=coin_amount(coin.symbol, coin.decimals, invoice.amount),
        price_shown=format_amount(invoice.amount, coin.decimals, coin.symbol),
        amount_paid=coin_amount(coin.symbol, coin.decimals, invoice.amount_paid),
        expires_at=invoice.pay_deadline,
        transactions=[h for h in hashes if h is not None],
    )
