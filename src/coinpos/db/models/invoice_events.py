"""Invoice status events: one row per change of an invoice's status or exception status,
written in the transaction that makes the change.

The row id is the id of the server-sent event that carries it, so a client resumes a
stream with `Last-Event-ID` by reading the rows after it. Rows are never updated or
deleted. For one invoice, ids grow in commit order: every writer holds the invoice's row
lock (or SQLite's write lock) while it inserts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.models.invoices import InvoiceExceptionStatus, InvoiceStatus
from coinpos.db.types import UtcDateTime, str_enum, utcnow


class InvoiceEvent(Base):
    __tablename__ = "invoice_events"
    __table_args__ = (
        Index("ix_invoice_events_invoice_id_id", "invoice_id", "id"),
        # Never reuse an id, even the highest one: a client may hold it as Last-Event-ID.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    status: Mapped[InvoiceStatus] = mapped_column(str_enum(InvoiceStatus, "invoice_status"))
    exception_status: Mapped[InvoiceExceptionStatus | None] = mapped_column(
        str_enum(InvoiceExceptionStatus, "invoice_exception_status")
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
