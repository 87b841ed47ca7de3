"""Invoice status events: every change of an invoice's status or exception status appends
an `invoice_events` row (the id of the server-sent event), and the webhook events it means,
in the transaction of the change. On PostgreSQL the change is also announced with
`NOTIFY coinpos_invoice_events, '<invoice id>'`, delivered when that transaction commits.

The callers hold the invoices' rows locked (the tracker selects them FOR UPDATE; SQLite has
one writer), so for one invoice the event ids grow in commit order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from coinpos.db.models import Invoice, InvoiceEvent, InvoiceExceptionStatus, InvoiceStatus
from coinpos.webhooks.events import NewEvent, publish

CHANNEL = "coinpos_invoice_events"

FINAL_STATUSES = frozenset({InvoiceStatus.SETTLED, InvoiceStatus.EXPIRED, InvoiceStatus.INVALID})

_STATUS_EVENTS = {
    InvoiceStatus.PROCESSING: "invoice.processing",
    InvoiceStatus.SETTLED: "invoice.settled",
    InvoiceStatus.EXPIRED: "invoice.expired",
    InvoiceStatus.INVALID: "invoice.invalid",
}
_EXCEPTION_EVENTS = {
    InvoiceExceptionStatus.PAID_PARTIAL: "invoice.paid_partial",
    InvoiceExceptionStatus.PAID_OVER: "invoice.paid_over",
    InvoiceExceptionStatus.PAID_LATE: "invoice.paid_late",
}


@dataclass(frozen=True)
class StatusChange:
    """An invoice's state after a change, and what it was before (None: just created)."""

    invoice_id: int
    invoice_hash: str
    store_id: str
    amount: int
    amount_paid: int
    status: InvoiceStatus
    exception_status: InvoiceExceptionStatus | None
    previous_status: InvoiceStatus | None
    previous_exception_status: InvoiceExceptionStatus | None = None


def created(invoice: Invoice) -> StatusChange:
    return StatusChange(
        invoice.id, invoice.invoice_hash, invoice.store_id, invoice.amount,
        invoice.amount_paid or 0, invoice.status or InvoiceStatus.NEW, invoice.exception_status,
        None,
    )  # fmt: skip


def record(session: Session, changes: Sequence[StatusChange], now: datetime) -> None:
    """Appends the events of these changes (a handful of statements for any number)."""
    if not changes:
        return
    event_ids = list(
        session.scalars(
            insert(InvoiceEvent).returning(InvoiceEvent.id, sort_by_parameter_order=True),
            [
                {"invoice_id": c.invoice_id, "status": c.status,
                 "exception_status": c.exception_status, "at": now}
                for c in changes
            ],
        )
    )  # fmt: skip
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_notify(:channel, id::text) FROM unnest(CAST(:ids AS integer[])) id"),
            {"channel": CHANNEL, "ids": sorted({c.invoice_id for c in changes})},
        )
    publish(
        session,
        [e for c, i in zip(changes, event_ids, strict=True) for e in _webhook_events(c, i)],
        now,
    )


def _webhook_events(change: StatusChange, event_id: int) -> list[NewEvent]:
    types = []
    if change.previous_status is None:
        types.append("invoice.created")
    elif change.status is not change.previous_status and change.status in _STATUS_EVENTS:
        types.append(_STATUS_EVENTS[change.status])
    if (
        change.exception_status is not None
        and change.exception_status is not change.previous_exception_status
    ):
        types.append(_EXCEPTION_EVENTS[change.exception_status])
    payload = {
        "invoice": {
            "id": change.invoice_id,
            "invoice_hash": change.invoice_hash,
            "status": change.status.value,
            "exception_status": (
                change.exception_status.value if change.exception_status else None
            ),
            "amount": str(change.amount),
            "amount_paid": str(change.amount_paid),
        },
        "previous_status": change.previous_status.value if change.previous_status else None,
        "invoice_event_id": event_id,
    }
    return [
        NewEvent(f"invoice_event:{event_id}:{kind}", change.store_id, kind, payload)
        for kind in types
    ]
