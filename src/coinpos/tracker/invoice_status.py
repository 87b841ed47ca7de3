"""Invoice statuses from the payments recorded for them (BTCPay Server's vocabulary).

    New ──paid in full (seen)──▶ Processing ──confirmed at depth──▶ Settled
     │                              │  ▲
     │ deadline passed (chain time) │  └── a reorg detached a payment: back to New
     ▼                              ▼
  Expired                        Invalid (its payments were cancelled unconfirmed)

`exception_status` says what was odd: PaidPartial (less than the amount), PaidOver (more),
PaidLate (a payment in a block after the payment deadline; it is recorded and confirmed like
any other, never dropped, and the flag stays). "Deadline passed" is judged by the time of the
last block scanned, so a payment made in time is never turned into a late one because the
tracker ran late.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import (
    Invoice,
    InvoiceExceptionStatus,
    InvoiceStatus,
    TransactionLogEntry,
    TxKind,
    TxStatus,
)
from coinpos.tracker.outbox import notify

_TERMINAL = (InvoiceStatus.EXPIRED, InvoiceStatus.INVALID)


def refresh(
    session: Session,
    invoice_ids: Collection[int],
    chain_now: datetime | None,
    late: Collection[int] = (),
    now: datetime | None = None,
) -> None:
    for invoice_id in sorted(invoice_ids):
        invoice = session.get(Invoice, invoice_id, with_for_update=True)
        if invoice is None:
            continue
        before = invoice.status
        payments = session.execute(
            select(
                TransactionLogEntry.status,
                TransactionLogEntry.block_hash,
                TransactionLogEntry.amount,
            ).where(
                TransactionLogEntry.invoice_id == invoice_id,
                TransactionLogEntry.kind == TxKind.PAYMENT,
            )
        ).all()
        seen = sum(
            a or 0
            for s, bh, a in payments
            if s is TxStatus.CONFIRMED or (s is TxStatus.PENDING and bh is not None)
        )
        confirmed = sum(a or 0 for s, _, a in payments if s is TxStatus.CONFIRMED)
        cancelled = any(s is TxStatus.CANCELLED for s, _, _ in payments)
        past_deadline = chain_now is not None and chain_now > invoice.pay_deadline
        invoice.amount_paid = seen

        if invoice_id in late or invoice.exception_status is InvoiceExceptionStatus.PAID_LATE:
            invoice.exception_status = InvoiceExceptionStatus.PAID_LATE
        elif 0 < seen < invoice.amount:
            invoice.exception_status = InvoiceExceptionStatus.PAID_PARTIAL
        elif seen > invoice.amount:
            invoice.exception_status = InvoiceExceptionStatus.PAID_OVER
        else:
            invoice.exception_status = None

        if invoice.status in _TERMINAL:
            pass
        elif seen >= invoice.amount and (invoice_id not in late or before is not InvoiceStatus.NEW):
            invoice.status = (
                InvoiceStatus.SETTLED if confirmed >= invoice.amount else InvoiceStatus.PROCESSING
            )
        elif before is InvoiceStatus.PROCESSING and cancelled:
            invoice.status = InvoiceStatus.INVALID
        elif past_deadline or invoice_id in late:
            invoice.status = InvoiceStatus.EXPIRED
        else:
            invoice.status = InvoiceStatus.NEW

        if invoice.status is not before and now is not None:
            notify(
                session,
                f"invoice:{invoice.id}:{invoice.status.value}:{invoice.amount_paid}",
                "invoice_status",
                {
                    "invoice_hash": invoice.invoice_hash,
                    "store_id": invoice.store_id,
                    "status": invoice.status.value,
                    "previous": before.value,
                    "exception_status": invoice.exception_status.value
                    if invoice.exception_status
                    else None,
                    "amount": str(invoice.amount),
                    "amount_paid": str(invoice.amount_paid),
                },
                now,
            )


def overdue(session: Session, chain_now: datetime) -> list[int]:
    """Invoices still New whose payment deadline the chain has passed."""
    return list(
        session.scalars(
            select(Invoice.id).where(
                Invoice.status == InvoiceStatus.NEW, Invoice.pay_deadline < chain_now
            )
        )
    )
