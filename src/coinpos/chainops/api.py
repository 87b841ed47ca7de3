"""`POST /stores/{store_id}/invoices/{invoice_id}/refunds` (manager): return part or all of
a captured payment to its payer, through the operator's escrow call."""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from coinpos.chainops import operations
from coinpos.chainops.schemas import RefundIn, RefundOut
from coinpos.db.models import Coin
from coinpos.invoices.schemas import INVOICE_ID
from coinpos.invoices.service import UnknownInvoiceError, get_invoice
from coinpos.money import parse_decimal, to_base_units
from coinpos.server.auth import MANAGER_ROUTE, Manager, StoreId
from coinpos.server.chain import sender_of
from coinpos.server.database import get_uow
from coinpos.server.idempotency import idempotency_key
from coinpos.server.problems import not_found
from coinpos.unit_of_work import UnitOfWork

router = APIRouter(tags=["refunds"])


def ledger_key(store_id: str, key: str | None) -> str:
    """The ledger's idempotency key of a request: the header's, scoped to the store (so two
    stores' equal keys never meet), or a fresh one when the client gave none."""
    given = key if key is not None else secrets.token_hex(16)
    return hashlib.sha256(f"{store_id}:{given}".encode()).hexdigest()


@router.post(
    "/stores/{store_id}/invoices/{invoice_id}/refunds",
    status_code=201,
    response_model=RefundOut,
    openapi_extra=MANAGER_ROUTE,
)
def refund_invoice(
    request: Request,
    store_id: StoreId,
    invoice_id: Annotated[str, Path(pattern=INVOICE_ID)],
    body: RefundIn,
    principal: Manager,
    uow: Annotated[UnitOfWork, Depends(get_uow)],
    key: Annotated[str | None, Depends(idempotency_key)],
) -> RefundOut:
    try:
        invoice = get_invoice(uow, invoice_id)
    except UnknownInvoiceError:
        invoice = None
    if invoice is None or invoice.store_id != principal.store_id:
        raise not_found(f"invoice {invoice_id}")
    coin = uow.session.get(Coin, invoice.coin_id)
    assert coin is not None
    amount = (
        None if body.amount is None else to_base_units(parse_decimal(body.amount), coin.decimals)
    )
    result = operations.refund(
        uow,
        sender_of(request),
        invoice.invoice_hash,
        amount,
        key=ledger_key(principal.store_id, key),
    )
    return RefundOut(
        invoice_id=invoice.invoice_hash,
        amount=str(result.amount),
        status=result.status,
        tx_hash=result.tx_hash,
        failure_reason=result.failure_reason,
    )
