"""`/pos`: the counter's page. Pairing, the catalogue and cart, charging through the invoice
routes' own functions, and the invoice's status for the page to follow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from coinpos.apikeys.service import InvalidKeyError
from coinpos.catalogue.pricing import priced_catalogue
from coinpos.invoices import api as invoices_api
from coinpos.invoices import service
from coinpos.money import format_amount
from coinpos.pages import web
from coinpos.pages.capability import checkout_key, checkout_path
from coinpos.pages.cart import CartIn, CartTotal, cart_total, invoice_of_sale
from coinpos.pages.live import status_events
from coinpos.pages.pairing import (
    PairedTerminal,
    forget_key,
    keep_key,
    paired_terminal,
    principal_of_key,
    require_paired,
)
from coinpos.pages.status import PageStatus, page_status
from coinpos.server.database import engine_of, get_uow
from coinpos.server.money import FiatAmount, fiat_amount
from coinpos.stores.service import get_store
from coinpos.unit_of_work import UnitOfWork

router = APIRouter(include_in_schema=False)

UoW = Annotated[UnitOfWork, Depends(get_uow)]
CsrfHeader = Annotated[str | None, Header(alias=web.CSRF_HEADER)]


async def _form(request: Request) -> dict[str, str]:
    fields = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)
    return {name: values[0] for name, values in fields.items()}


def _pairing_page(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    return web.render(request, "pair.html", status_code, title="Pair this terminal", error=error)


@router.get("/pos", response_class=HTMLResponse)
def pos_page(request: Request, uow: UoW) -> Response:
    principal = paired_terminal(request)
    if principal is None:
        return _pairing_page(request)
    store = get_store(uow, principal.store_id)
    catalogue = priced_catalogue(uow, principal.store_id)
    coins = sorted({(entry.coin.symbol, entry.coin.decimals) for entry in catalogue})
    items = [
        {
            "sku": entry.item.sku,
            "name": entry.item.name,
            "stock": entry.item.stock,
            "price": format_amount(entry.item.price, entry.coin.decimals, entry.coin.symbol),
            "coin": entry.coin.symbol,
            "fiat": fiat_amount(entry.fiat_price),
        }
        for entry in catalogue
    ]
    return web.render(
        request,
        "pos.html",
        title=f"{store.name} · POS",
        store=store,
        terminal=principal.terminal_code,
        items=items,
        coins=[{"symbol": symbol, "decimals": decimals} for symbol, decimals in coins],
    )


@router.post("/pos/pair")
async def pair(request: Request) -> Response:
    form = await _form(request)
    web.check_csrf(request, form.get(web.CSRF_FIELD))
    key = form.get("key", "").strip()
    try:
        await run_in_threadpool(principal_of_key, request, key)
    except InvalidKeyError:
        return _pairing_page(request, "That is not a live terminal key of this exchange.", 401)
    response = RedirectResponse("/pos", status_code=303)
    keep_key(request, response, key)
    return response


@router.post("/pos/unpair")
async def unpair(request: Request) -> Response:
    form = await _form(request)
    web.check_csrf(request, form.get(web.CSRF_FIELD))
    response = RedirectResponse("/pos", status_code=303)
    forget_key(response)
    return response


def _chain_id(request: Request) -> int | None:
    issuer = request.app.state.issuer
    return None if issuer is None else int(issuer.domain.chain_id)


@router.post("/pos/quote", response_model=CartTotal)
def quote(
    request: Request, body: CartIn, principal: PairedTerminal, uow: UoW, csrf: CsrfHeader = None
) -> CartTotal:
    web.check_csrf(request, csrf)
    return cart_total(uow, principal.store_id, body, _chain_id(request))


class ChargeOut(BaseModel):
    """What the counter shows of the new invoice."""

    id: str
    expires_at: datetime
    deposit_address: str | None
    payment_uri: str
    price_shown: str
    fiat_now: FiatAmount | None
    checkout_url: str


@router.post("/pos/charge", status_code=201, response_model=ChargeOut)
def charge(
    request: Request, body: CartIn, principal: PairedTerminal, uow: UoW, csrf: CsrfHeader = None
) -> ChargeOut:
    web.check_csrf(request, csrf)
    wanted = invoice_of_sale(uow, principal.store_id, body, _chain_id(request))
    invoice = invoices_api.create_invoice(request, principal.store_id, wanted, principal, uow, None)
    return ChargeOut(
        id=invoice.id,
        expires_at=invoice.expires_at,
        deposit_address=invoice.payment.deposit_address,
        payment_uri=invoice.payment.payment_uri,
        price_shown=page_status(uow, service.get_invoice(uow, invoice.id)).price_shown,
        fiat_now=invoice.fiat_now,
        checkout_url=str(request.base_url).rstrip("/")
        + checkout_path(checkout_key(request.app), invoice.id),
    )


@router.get("/pos/invoices/{invoice_id}", response_model=PageStatus)
def invoice_status(
    invoice_id: invoices_api.InvoiceId, principal: PairedTerminal, uow: UoW
) -> PageStatus:
    invoice = invoices_api._store_invoice(uow, principal.store_id, invoice_id)
    return page_status(uow, invoice)


def _paired_store_invoice(request: Request, invoice_id: invoices_api.InvoiceId) -> int:
    """Checked before the stream starts, so refusals are plain problem responses."""
    principal = require_paired(request)
    with UnitOfWork(engine_of(request)) as uow:
        return invoices_api._store_invoice(uow, principal.store_id, invoice_id).id


@router.get("/pos/invoices/{invoice_id}/events", response_class=EventSourceResponse)
async def invoice_events(
    request: Request, number: Annotated[int, Depends(_paired_store_invoice)]
) -> AsyncIterator[ServerSentEvent]:
    """The invoice's live status, for the paired terminal of its store only."""
    async for event in status_events(request, number):
        yield event


@router.get("/pos/invoices/{invoice_id}/qr.svg")
def invoice_qr(invoice_id: invoices_api.InvoiceId, principal: PairedTerminal, uow: UoW) -> Response:
    return invoices_api.invoice_qr_svg(principal.store_id, invoice_id, principal, uow)
