"""Invoices in the database and their status changes, written through the same function the
tracker and invoice creation use (coinpos.invoices.events.record)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from coinpos.db.models import Invoice, InvoiceExceptionStatus, InvoiceStatus
from coinpos.db.types import utcnow
from coinpos.invoices import events
from tests.offchain.factories import make_coin


def make_invoice(engine: Engine, store_id: str, amount: int = 500) -> Invoice:
    coin = make_coin(engine, symbol="C" + secrets.token_hex(3).upper())
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        invoice = Invoice(
            invoice_hash="0x" + secrets.token_hex(32),
            store_id=store_id,
            coin_id=coin.id,
            amount=amount,
            pay_deadline=now + timedelta(minutes=15),
            authorization_expiry=now + timedelta(days=1),
            refund_deadline=now + timedelta(days=7),
            fee_bps=100,
            salt="0x" + secrets.token_hex(32),
            deposit_address="0x" + secrets.token_hex(20),
            payment_uri="ethereum:0x",
            created_at=now,
        )
        session.add(invoice)
        session.flush()
        events.record(session, [events.created(invoice)], now)
        session.commit()
    return invoice


def change_status(
    engine: Engine,
    invoice: Invoice,
    status: InvoiceStatus,
    exception: InvoiceExceptionStatus | None = None,
) -> None:
    """What the tracker does for one invoice: update the row, record the event, commit."""
    with Session(engine) as session:
        before = session.get(Invoice, invoice.id, with_for_update=True)
        assert before is not None
        change = events.StatusChange(
            invoice.id, invoice.invoice_hash, invoice.store_id, invoice.amount, invoice.amount,
            status, exception, before.status, before.exception_status,
        )  # fmt: skip
        session.execute(
            update(Invoice)
            .where(Invoice.id == invoice.id)
            .values(status=status, exception_status=exception)
        )
        events.record(session, [change], utcnow())
        session.commit()
