"""`/i/{invoice}`: the shopper's checkout, for a phone that opened the QR without a wallet.
Public: the invoice hash (from a random salt) is the capability, as the QR already is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from coinpos.db.models import Invoice
from coinpos.invoices import service
from coinpos.invoices.api import InvoiceId
from coinpos.pages import web
from coinpos.pages.status import PageStatus, page_status
from coinpos.qr import svg_bytes
from coinpos.server.database import get_uow
from coinpos.server.problems import not_found
from coinpos.stores.service import get_store
from coinpos.unit_of_work import UnitOfWork

router = APIRouter(include_in_schema=False)

UoW = Annotated[UnitOfWork, Depends(get_uow)]


def _invoice(uow: UnitOfWork, invoice_id: str) -> Invoice:
    try:
        return service.get_invoice(uow, invoice_id)
    except service.UnknownInvoiceError:
        raise not_found(f"invoice {invoice_id}") from None


@router.get("/i/{invoice_id}", response_class=HTMLResponse)
def checkout_page(request: Request, invoice_id: InvoiceId, uow: UoW) -> Response:
    invoice = _invoice(uow, invoice_id)
    status = page_status(uow, invoice)
    return web.render(
        request,
        "checkout.html",
        title=f"Pay {status.price.amount} {status.price.coin}",
        store=get_store(uow, invoice.store_id),
        invoice=invoice,
        status=status,
        status_url=f"/i/{invoice.invoice_hash}/status",
        qr_url=f"/i/{invoice.invoice_hash}/qr.svg",
    )


@router.get("/i/{invoice_id}/status", response_model=PageStatus)
def checkout_status(invoice_id: InvoiceId, uow: UoW) -> PageStatus:
    return page_status(uow, _invoice(uow, invoice_id))


@router.get("/i/{invoice_id}/qr.svg")
def checkout_qr(invoice_id: InvoiceId, uow: UoW) -> Response:
    invoice = _invoice(uow, invoice_id)
    return Response(svg_bytes(invoice.payment_uri), media_type="image/svg+xml")
