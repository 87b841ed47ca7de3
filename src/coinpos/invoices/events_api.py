"""`GET /api/v1/invoices/{invoice_id}/events` (and the same under
`/stores/{store_id}/invoices/{invoice_id}/events`): an invoice's status changes as
server-sent events.

Each event is `event: status`, `id: <invoice event id>` and JSON data with the status and
the exception status. A new stream replays the invoice's events from the table (after
`Last-Event-ID` when the client resumes), then goes on live through the process's stream
hub, and ends after a final state (Settled, Expired, Invalid). FastAPI sends a `: ping`
comment after 15 s without an event, so proxies keep the connection open.

Who may read it: a terminal or manager key of the invoice's store; any other key gets 404,
as for an invoice that does not exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from coinpos.db.models import InvoiceExceptionStatus, InvoiceStatus
from coinpos.invoices.events import FINAL_STATUSES
from coinpos.invoices.service import UnknownInvoiceError, get_invoice
from coinpos.server.auth import StoreId, Terminal, TerminalPrincipal, current_terminal
from coinpos.server.database import engine_of
from coinpos.server.events import EventRecord, StreamHub
from coinpos.server.problems import ProblemError, not_found
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError

# How long a browser's EventSource waits before it reconnects, in milliseconds.
RECONNECT_MS = 2_000


def hub_of(app: FastAPI) -> StreamHub:
    """The process's hub, made and started on first use (in the server's event loop)."""
    hub: StreamHub | None = getattr(app.state, "stream_hub", None)
    if hub is None:
        hub = StreamHub(app.state.engine)
        app.state.stream_hub = hub
    hub.start()
    return hub


@dataclass(frozen=True)
class StreamedInvoice:
    id: int
    invoice_hash: str
    status: InvoiceStatus
    exception_status: InvoiceExceptionStatus | None
    after: int


InvoiceRef = Annotated[str, Path(description="The invoice's number or its 0x hash.")]
LastEventId = Annotated[
    str | None,
    Header(description="Resume after this event id (sent by EventSource on reconnect)."),
]


def streamed_invoice(
    request: Request,
    invoice_id: InvoiceRef,
    principal: Annotated[TerminalPrincipal, Depends(current_terminal)],
    last_event_id: LastEventId = None,
) -> StreamedInvoice:
    """Checked before the stream starts, so refusals are plain problem responses."""
    return _checked(request, invoice_id, principal, last_event_id)


def store_streamed_invoice(
    request: Request,
    invoice_id: InvoiceRef,
    principal: Terminal,
    last_event_id: LastEventId = None,
) -> StreamedInvoice:
    return _checked(request, invoice_id, principal, last_event_id)


def _checked(
    request: Request, invoice: str, principal: TerminalPrincipal, last_event_id: str | None
) -> StreamedInvoice:
    after = 0
    if last_event_id is not None and last_event_id.strip():
        if not last_event_id.strip().isdigit() or len(last_event_id.strip()) > 18:
            raise ProblemError(422, "Last-Event-ID must be an event id", "invalid-input")
        after = int(last_event_id.strip())
    with UnitOfWork(engine_of(request)) as uow:
        try:
            row = get_invoice(uow, invoice)
        except (UnknownInvoiceError, InvalidInputError):
            raise not_found(f"invoice {invoice}") from None
        if row.store_id != principal.store_id:
            raise not_found(f"invoice {invoice}")
        return StreamedInvoice(row.id, row.invoice_hash, row.status, row.exception_status, after)


@asynccontextmanager
async def _stop_hub(app: FastAPI) -> AsyncIterator[None]:
    yield
    hub: StreamHub | None = getattr(app.state, "stream_hub", None)
    if hub is not None:
        await hub.stop()


router = APIRouter(tags=["live status"], lifespan=_stop_hub)


def _event(invoice: StreamedInvoice, record: EventRecord | None) -> ServerSentEvent:
    data: dict[str, Any] = {
        "invoice_id": invoice.id,
        "invoice_hash": invoice.invoice_hash,
        "status": (record.status if record else invoice.status).value,
        "exception_status": None,
        "at": record.at.isoformat() if record else None,
    }
    exception = record.exception_status if record else invoice.exception_status
    data["exception_status"] = exception.value if exception else None
    return ServerSentEvent(
        event="status",
        id=str(record.id) if record else "0",
        data=data,
        retry=RECONNECT_MS,
    )


@router.get(
    "/invoices/{invoice_id}/events",
    response_class=EventSourceResponse,
    summary="Stream an invoice's status changes (server-sent events)",
    responses={200: {"description": "`text/event-stream` of `status` events."}},
)
async def invoice_events(
    request: Request, invoice: Annotated[StreamedInvoice, Depends(streamed_invoice)]
) -> AsyncIterator[ServerSentEvent]:
    async for event in _stream(request, invoice):
        yield event


@router.get(
    "/stores/{store_id}/invoices/{invoice_id}/events",
    response_class=EventSourceResponse,
    summary="Stream an invoice's status changes (server-sent events), under its store",
    responses={200: {"description": "`text/event-stream` of `status` events."}},
)
async def store_invoice_events(
    request: Request,
    store_id: StoreId,
    invoice: Annotated[StreamedInvoice, Depends(store_streamed_invoice)],
) -> AsyncIterator[ServerSentEvent]:
    async for event in _stream(request, invoice):
        yield event


async def _stream(request: Request, invoice: StreamedInvoice) -> AsyncIterator[ServerSentEvent]:
    hub = hub_of(request.app)
    subscription = hub.subscribe(invoice.id)
    try:
        last = invoice.after
        replayed = await hub.history(invoice.id, invoice.after)
        if not replayed and invoice.after == 0:
            # An invoice with no recorded event (made before events were kept): its state now.
            yield _event(invoice, None)
            if invoice.status in FINAL_STATUSES:
                return
        for record in replayed:
            yield _event(invoice, record)
            last = record.id
            if record.final:
                return
        while True:
            live = await subscription.queue.get()
            if live is None:
                return
            if live.id <= last:
                continue
            yield _event(invoice, live)
            last = live.id
            if live.final:
                return
    finally:
        hub.unsubscribe(subscription)
