"""The POS routes of invoices, under the store of the terminal's key: create from a cart or
an amount, list, read, cancel an unpaid one, and the QR code drawn on request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from coinpos.db.models import Coin, Invoice, InvoiceStatus
from coinpos.invoices import listing, service
from coinpos.invoices.calls import escrow_pay_call, wallet_pay_call
from coinpos.invoices.schemas import (
    INVOICE_ID,
    CartLineOut,
    InvoiceIn,
    InvoiceOut,
    InvoicePage,
    InvoiceTermsOut,
    PaymentOut,
    QrOut,
)
from coinpos.money import parse_decimal, to_base_units
from coinpos.qr import png_bytes, svg_bytes
from coinpos.rates.valuation import Valuer
from coinpos.server.auth import StoreId, Terminal
from coinpos.server.database import get_uow
from coinpos.server.idempotency import idempotency_key
from coinpos.server.money import coin_amount, fiat_amount
from coinpos.server.problems import ProblemError, not_found
from coinpos.stores.service import get_coin, get_store
from coinpos.unit_of_work import UnitOfWork

router = APIRouter(tags=["invoices"])

UoW = Annotated[UnitOfWork, Depends(get_uow)]
InvoiceId = Annotated[str, Path(pattern=INVOICE_ID, description="The invoice hash.")]


def _issuer(request: Request) -> service.Issuer:
    issuer: service.Issuer | None = request.app.state.issuer
    if issuer is None:
        raise ProblemError(
            503, "this server was started without a network: it cannot sign invoices",
            "not-configured",
        )  # fmt: skip
    return issuer


def _out(uow: UnitOfWork, invoice: Invoice, valuer: Valuer) -> InvoiceOut:
    coin = uow.session.get(Coin, invoice.coin_id)
    assert coin is not None  # a foreign key guarantees it
    store = get_store(uow, invoice.store_id)
    terms = service.terms_of(invoice, coin)
    signature = (
        bytes.fromhex(invoice.operator_signature[2:]) if invoice.operator_signature else None
    )
    escrow = invoice.escrow_address
    base = f"/api/v1/stores/{invoice.store_id}/invoices/{invoice.invoice_hash}"
    return InvoiceOut(
        id=invoice.invoice_hash,
        number=invoice.id,
        store_id=invoice.store_id,
        terminal=service.terminal_code(uow, invoice),
        status=invoice.status,
        exception_status=invoice.exception_status,
        price=coin_amount(coin.symbol, coin.decimals, invoice.amount),
        amount_paid=str(invoice.amount_paid),
        fiat_now=fiat_amount(valuer.value(coin.symbol, coin.decimals, invoice.amount, store.fiat)),
        items=[
            CartLineOut(sku=sku, quantity=quantity, unit_price=str(price))
            for sku, quantity, price in service.invoice_items(uow, invoice)
        ],
        payer=invoice.payer,
        created_at=invoice.created_at,
        expires_at=invoice.pay_deadline,
        authorization_expiry=invoice.authorization_expiry,
        refund_deadline=invoice.refund_deadline,
        payment=PaymentOut(
            deposit_address=invoice.deposit_address,
            payment_uri=invoice.payment_uri,
            chain_id=invoice.chain_id,
            escrow=escrow,
            operator_signature=invoice.operator_signature,
            terms=InvoiceTermsOut(
                store_commitment="0x" + terms.store_commitment.hex(),
                token=terms.token,
                amount=str(terms.amount),
                payer=terms.payer,
                payment_deadline=terms.payment_deadline,
                authorization_expiry=terms.authorization_expiry,
                refund_deadline=terms.refund_deadline,
            ),
            escrow_call=None
            if signature is None
            else "0x" + escrow_pay_call(terms, signature).hex(),
            wallet_call=None
            if signature is None or escrow is None
            else "0x" + wallet_pay_call(escrow, terms, signature).hex(),
        ),
        qr=QrOut(png=f"{base}/qr.png", svg=f"{base}/qr.svg"),
    )


def _store_invoice(uow: UnitOfWork, store_id: str, invoice_id: str) -> Invoice:
    """The invoice when it is this store's; another store's is as absent as a missing one."""
    try:
        invoice = service.get_invoice(uow, invoice_id)
    except service.UnknownInvoiceError:
        invoice = None
    if invoice is None or invoice.store_id != store_id:
        raise not_found(f"invoice {invoice_id}")
    return invoice


@router.post("/stores/{store_id}/invoices", status_code=201, response_model=InvoiceOut)
def create_invoice(
    request: Request,
    store_id: StoreId,
    body: InvoiceIn,
    principal: Terminal,
    uow: UoW,
    _key: Annotated[str | None, Depends(idempotency_key)],
) -> InvoiceOut:
    issuer = _issuer(request)
    coin = get_coin(uow, body.coin, issuer.domain.chain_id)
    amount = (
        None if body.amount is None else to_base_units(parse_decimal(body.amount), coin.decimals)
    )
    invoice = service.issue_invoice(
        uow,
        service.NewInvoice(
            store_id=principal.store_id,
            coin=body.coin,
            amount=amount,
            cart=tuple(service.CartLine(line.sku, line.quantity) for line in body.cart),
            payer=body.payer,
            terminal=principal.terminal_code,
            pay_window=timedelta(minutes=body.expires_in_minutes),
        ),
        issuer,
    )
    return _out(uow, invoice, Valuer(uow.session))


@router.get("/stores/{store_id}/invoices", response_model=InvoicePage)
def list_invoices(
    store_id: StoreId,
    principal: Terminal,
    uow: UoW,
    status: InvoiceStatus | None = None,
    terminal: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,32}$")] = None,
    since: Annotated[
        datetime | None, Query(description="Made at or after (ISO 8601, with zone).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=listing.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> InvoicePage:
    found = listing.list_invoices(
        uow,
        listing.InvoiceQuery(principal.store_id, terminal, status, since, limit, offset),
    )
    valuer = Valuer(uow.session)
    return InvoicePage(
        items=[_out(uow, listed.invoice, valuer) for listed in found],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(found) == limit else None,
    )


@router.get("/stores/{store_id}/invoices/{invoice_id}", response_model=InvoiceOut)
def get_invoice(
    store_id: StoreId, invoice_id: InvoiceId, principal: Terminal, uow: UoW
) -> InvoiceOut:
    invoice = _store_invoice(uow, principal.store_id, invoice_id)
    return _out(uow, invoice, Valuer(uow.session))


@router.post("/stores/{store_id}/invoices/{invoice_id}/cancel", response_model=InvoiceOut)
def cancel_invoice(
    store_id: StoreId, invoice_id: InvoiceId, principal: Terminal, uow: UoW
) -> InvoiceOut:
    invoice = service.cancel_invoice(uow, _store_invoice(uow, principal.store_id, invoice_id))
    return _out(uow, invoice, Valuer(uow.session))


@router.get(
    "/stores/{store_id}/invoices/{invoice_id}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The QR of the payment URI"}},
)
def invoice_qr_png(
    store_id: StoreId, invoice_id: InvoiceId, principal: Terminal, uow: UoW
) -> Response:
    invoice = _store_invoice(uow, principal.store_id, invoice_id)
    return Response(png_bytes(invoice.payment_uri), media_type="image/png")


@router.get(
    "/stores/{store_id}/invoices/{invoice_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The QR of the payment URI"}},
)
def invoice_qr_svg(
    store_id: StoreId, invoice_id: InvoiceId, principal: Terminal, uow: UoW
) -> Response:
    invoice = _store_invoice(uow, principal.store_id, invoice_id)
    return Response(svg_bytes(invoice.payment_uri), media_type="image/svg+xml")
