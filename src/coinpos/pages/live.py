"""The pages' live status: `GET /pos/invoices/{id}/events` (the pairing cookie, the
terminal's own store only) and `GET /i/{token}/events` (the checkout's capability).

Server-sent events through the process's stream hub (coinpos.server.events), as the API's
`/api/v1/invoices/{id}/events`, but each event carries the page's whole status (its words,
the amount paid, the transaction hashes for the receipt), read when the event arrives, so
the page needs no other request. A stream sends the status on connect, then one event per
change the hub passes on, and ends after a final status (the page then closes its
EventSource). A reconnecting browser just gets the status again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from fastapi.sse import ServerSentEvent
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from coinpos.db.models import Invoice, InvoiceEvent
from coinpos.invoices.events_api import RECONNECT_MS, hub_of
from coinpos.pages.status import PageStatus, page_status
from coinpos.server.database import engine_of
from coinpos.unit_of_work import UnitOfWork


def _now(request: Request, invoice_id: int) -> tuple[PageStatus, int]:
    """The invoice's page status and the id of its newest event, read together."""
    with UnitOfWork(engine_of(request)) as uow:
        invoice = uow.session.get(Invoice, invoice_id)
        assert invoice is not None  # the route found it; invoices are never deleted
        newest = uow.session.scalar(
            select(func.max(InvoiceEvent.id)).where(InvoiceEvent.invoice_id == invoice_id)
        )
        return page_status(uow, invoice), int(newest or 0)


def _event(status: PageStatus, event_id: int) -> ServerSentEvent:
    return ServerSentEvent(
        event="status", id=str(event_id), data=status.model_dump(mode="json"), retry=RECONNECT_MS
    )


async def status_events(request: Request, invoice_id: int) -> AsyncIterator[ServerSentEvent]:
    hub = hub_of(request.app)
    # Subscribed before the status is read, so no change falls between the two.
    subscription = hub.subscribe(invoice_id)
    try:
        status, last = await run_in_threadpool(_now, request, invoice_id)
        yield _event(status, last)
        while not status.final:
            live = await subscription.queue.get()
            if live is None:
                return  # the server is stopping
            if live.id <= last:
                continue
            status, newest = await run_in_threadpool(_now, request, invoice_id)
            last = max(live.id, newest)
            yield _event(status, last)
    finally:
        hub.unsubscribe(subscription)
