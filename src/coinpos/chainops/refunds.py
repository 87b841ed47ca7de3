"""How much of an invoice can still be refunded: what was captured of it, less what was
refunded (requests pending or confirmed; failed and cancelled ones moved nothing)."""

from __future__ import annotations

from sqlalchemy import select

from coinpos.db.models import Invoice, TransactionLogEntry, TxKind, TxStatus
from coinpos.unit_of_work import UnitOfWork

_MOVING = (TxStatus.PENDING, TxStatus.CONFIRMED)


def refundable(uow: UnitOfWork, invoice: Invoice) -> int:
    rows = uow.session.execute(
        select(TransactionLogEntry.kind, TransactionLogEntry.amount).where(
            TransactionLogEntry.invoice_id == invoice.id,
            TransactionLogEntry.kind.in_([TxKind.CAPTURE, TxKind.REFUND]),
            TransactionLogEntry.status.in_(_MOVING),
        )
    ).tuples()
    total = 0
    for kind, amount in rows:
        total += (amount or 0) if kind is TxKind.CAPTURE else -(amount or 0)
    return max(total, 0)
