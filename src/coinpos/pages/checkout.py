"""`/i/{token}`: the shopper's checkout, for a phone that opened the link without a wallet.
The token (coinpos.pages.capability) is the capability: it names one invoice and cannot
be made for another without the server's key, so no one can walk through invoices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from coinpos.db.models import Invoice
from coinpos.invoices import service
from coinpos.pages import web
from coinpos.pages.capability import TOKEN_PATTERN, checkout_key, invoice_hash_of
from coinpos.pages.live import status_events
from coinpos.pages.status import PageStatus, page_status
from coinpos.qr import svg_bytes
from coinpos.server.database import engine_of, get_uow
from coinpos.server.problems import not_found
from coinpos.stores.service import get_store
from coinpos.unit_of_work import UnitOfWork

router = APIRouter(include_in_schema=False)

UoW = Annotated[UnitOfWork, Depends(get_uow)]
Token = Annotated[str, Path(pattern=TOKEN_PATTERN, description="The checkout token.")]


def _invoice(request: Request, uow: UnitOfWork, token: str) -> Invoice:
    """The token's invoice; a token this server did not make is an unknown invoice."""
    invoice_hash = invoice_hash_of(checkout_key(request.app), token)
    if invoice_hash is None:
        raise not_found("checkout")
    try:
        return service.get_invoice(uow, invoice_hash)
    except service.UnknownInvoiceError:
        raise not_found("checkout") from None


@router.get("/i/{token}", response_class=HTMLResponse)
def checkout_page(request: Request, token: Token, uow: UoW) -> Response:
    invoice = _invoice(request, uow, token)
    status = page_status(uow, invoice)
    return web.render(
        request,
        "checkout.html",
        title=f"Pay {status.price_shown}",
        store=get_store(uow, invoice.store_id),
        invoice=invoice,
        status=status,
        status_url=f"/i/{token}/status",
        events_url=f"/i/{token}/events",
        qr_url=f"/i/{token}/qr.svg",
    )


@router.get("/i/{token}/status", response_model=PageStatus)
def checkout_status(request: Request, token: Token, uow: UoW) -> PageStatus:
    return page_status(uow, _invoice(request, uow, token))


@router.get("/i/{token}/qr.svg")
def checkout_qr(request: Request, token: Token, uow: UoW) -> Response:
    invoice = _invoice(request, uow, token)
    return Response(svg_bytes(invoice.payment_uri), media_type="image/svg+xml")


def _token_invoice(request: Request, token: Token) -> int:
    """Checked before the stream starts, so refusals are plain problem responses."""
    with UnitOfWork(engine_of(request)) as uow:
        return _invoice(request, uow, token).id


@router.get("/i/{token}/events", response_class=EventSourceResponse)
async def checkout_events(
    request: Request, number: Annotated[int, Depends(_token_invoice)]
) -> AsyncIterator[ServerSentEvent]:
    """The invoice's live status, for whoever holds its checkout link."""
    async for event in status_events(request, number):
        yield event
