"""The tracker appends invoice events (and their webhook events) in the transaction of each
status change, for one invoice or many at once, and announces them on PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from coinpos.db.models import (
    InvoiceEvent,
    InvoiceExceptionStatus,
    InvoiceStatus,
    WebhookDelivery,
    WebhookEvent,
)
from coinpos.invoices.events import CHANNEL
from coinpos.unit_of_work import UnitOfWork
from coinpos.webhooks.service import create_endpoint
from tests.offchain.tracker.conftest import UNIT, Shop

SUBSCRIBED = ("invoice.processing", "invoice.settled", "invoice.paid_partial")


def _events(shop: Shop) -> list[tuple[int, InvoiceStatus, InvoiceExceptionStatus | None]]:
    with Session(shop.engine) as session:
        return [
            (e.invoice_id, e.status, e.exception_status)
            for e in session.scalars(select(InvoiceEvent).order_by(InvoiceEvent.id))
        ]


def _webhook_types(shop: Shop) -> list[str]:
    with Session(shop.engine) as session:
        return list(session.scalars(select(WebhookEvent.type).order_by(WebhookEvent.id)))


@pytest.mark.postgres
def test_partial_then_full_payment__events_for_each_change__webhooks_for_the_subscribed(
    shop: Shop,
) -> None:
    with UnitOfWork(shop.engine) as uow:
        create_endpoint(uow, shop.store.store_id, "http://127.0.0.1:9/h", SUBSCRIBED, True)
    invoice = shop.invoice(2 * UNIT)
    tracker = shop.tracker(depth=3)
    shop.pay(invoice, UNIT)
    tracker.run_once()
    shop.pay(invoice, UNIT)
    tracker.run_once()
    tracker.run_once()  # nothing changed: no event
    shop.anvil.mine(3)
    tracker.run_once()

    assert _events(shop) == [
        (invoice.id, InvoiceStatus.NEW, InvoiceExceptionStatus.PAID_PARTIAL),
        (invoice.id, InvoiceStatus.PROCESSING, None),
        (invoice.id, InvoiceStatus.SETTLED, None),
    ]
    assert _webhook_types(shop) == list(SUBSCRIBED[2:] + SUBSCRIBED[:2])
    with Session(shop.engine) as session:
        assert len(session.scalars(select(WebhookDelivery)).all()) == 3


@pytest.mark.postgres
def test_many_invoices_in_one_range__one_event_each__announced_on_postgres(
    shop: Shop, db_url: str
) -> None:
    invoices = [shop.invoice(UNIT) for _ in range(40)]
    listener = None
    if shop.engine.dialect.name == "postgresql":
        url = make_url(db_url).set(drivername="postgresql")
        listener = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
        listener.execute(f"LISTEN {CHANNEL}")
    for invoice in invoices:
        shop.pay(invoice, UNIT)
    shop.tracker(depth=50).run_once()

    assert sorted(i for i, _, _ in _events(shop)) == sorted(i.id for i in invoices)
    assert {s for _, s, _ in _events(shop)} == {InvoiceStatus.PROCESSING}
    assert _webhook_types(shop) == []  # no endpoint subscribes: no webhook event stored
    if listener is not None:
        heard = {n.payload for n in listener.notifies(timeout=2, stop_after=len(invoices))}
        listener.close()
        assert heard == {str(i.id) for i in invoices}
