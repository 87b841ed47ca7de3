"""`/pos/sales`: the store manager's page (FIG 9). Sign-in with a manager key; the period's
sales per coin with their fiat value at sale time and now; a settlement request, quoted
first (the rate it would lock and the fee) and then confirmed; the settlement and payout
history; refunds of a captured sale.

A thin adapter: the report comes from the reports service, the settlement and the refund
are made by the API's own route functions (so the page settles and refunds exactly as
`POST …/settlements` and `POST …/refunds` do), with the manager found from the cookie.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from coinpos.chainops import api as refunds_api
from coinpos.chainops.escrow import bytes32_topic
from coinpos.chainops.operations import CAPTURED, PAYMENT_STATUSES
from coinpos.chainops.refunds import refundable
from coinpos.chainops.schemas import RefundIn
from coinpos.db.models import Coin, Invoice
from coinpos.errors import CoinposError
from coinpos.invoices.api import InvoiceId
from coinpos.invoices.service import UnknownInvoiceError, get_invoice
from coinpos.ledger import DuplicateRequestError
from coinpos.money import format_amount, from_base_units, parse_decimal, to_base_units
from coinpos.pages import web
from coinpos.pages.manager_login import (
    ManagerLoginError,
    forget_manager_key,
    keep_manager_key,
    manager_of_key,
    signed_in_manager,
)
from coinpos.pages.sales_view import (
    balances_view,
    history_view,
    payout_text,
    period_of,
    sales_view,
)
from coinpos.rates.service import latest_rate
from coinpos.server.auth import TerminalPrincipal
from coinpos.server.database import engine_of, get_uow
from coinpos.server.money import decimal_text
from coinpos.server.problems import ProblemError, status_of
from coinpos.settlement import api as settlement_api
from coinpos.settlement.quote import SettlementQuote, quote_settlement
from coinpos.settlement.schemas import SettlementIn
from coinpos.stores.service import get_coin, get_store
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError

router = APIRouter(include_in_schema=False)

UoW = Annotated[UnitOfWork, Depends(get_uow)]
SALES = "/pos/sales"
FIELDS = 10


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")
    fields = parse_qs(body, max_num_fields=FIELDS)
    return {name: values[0].strip() for name, values in fields.items()}


def _problem(error: Exception) -> tuple[str, int]:
    """The message and status a refused request is shown with."""
    if isinstance(error, ProblemError):
        return error.detail, error.status
    if isinstance(error, ValidationError):
        return "amounts are written in whole coins, like 0.0025", 422
    if isinstance(error, CoinposError):
        return str(error), status_of(error)[0]
    raise error


def _login_page(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    return web.render(
        request, "sales_login.html", status_code, title="Store sales · sign in", error=error
    )


def _frame(uow: UnitOfWork, principal: TerminalPrincipal) -> dict[str, object]:
    return {"store": get_store(uow, principal.store_id), "terminal": principal.terminal_code}


def _sales_page(
    request: Request,
    uow: UnitOfWork,
    principal: TerminalPrincipal,
    since: str | None = None,
    until: str | None = None,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    settle_form: dict[str, str] | None = None,
) -> Response:
    period_error = None
    try:
        period = period_of(since, until)
    except InvalidInputError as exc:
        period_error = str(exc)
        period = period_of(None, None)
    return web.render(
        request,
        "sales.html",
        status_code if period_error is None else 422,
        title=f"{get_store(uow, principal.store_id).name} · sales",
        **_frame(uow, principal),
        period=period,
        period_error=period_error,
        view=sales_view(uow, principal.store_id, period),
        balances=balances_view(uow, principal.store_id),
        history=history_view(uow, principal.store_id),
        notice=notice,
        error=error,
        settle_form=settle_form or {},
    )


@router.get(SALES, response_class=HTMLResponse)
def sales_page(
    request: Request,
    uow: UoW,
    since: str | None = None,
    until: str | None = None,
    requested: str | None = None,
) -> Response:
    principal = signed_in_manager(request)
    if principal is None:
        return _login_page(request)
    notice = None
    if requested:
        shown = [row for row in history_view(uow, principal.store_id) if row.reference == requested]
        if shown:
            notice = f"Settlement of {shown[0].amount}: {shown[0].status}."
    return _sales_page(request, uow, principal, since, until, notice=notice)


@router.post(f"{SALES}/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    web.check_csrf(request, form.get(web.CSRF_FIELD))
    key = form.get("key", "")
    try:
        await run_in_threadpool(manager_of_key, request, key)
    except ManagerLoginError as exc:
        return _login_page(request, str(exc), exc.status)
    response = RedirectResponse(SALES, status_code=303)
    keep_manager_key(request, response, key)
    return response


@router.post(f"{SALES}/logout")
async def logout(request: Request) -> Response:
    form = await _form(request)
    web.check_csrf(request, form.get(web.CSRF_FIELD))
    response = RedirectResponse(SALES, status_code=303)
    forget_manager_key(response)
    return response


def _signed_in(request: Request) -> TerminalPrincipal | Response:
    principal = signed_in_manager(request)
    if principal is None:
        return _login_page(request, "Sign in with the manager key to continue.", 401)
    return principal


def _wanted_units(uow: UnitOfWork, form: dict[str, str]) -> tuple[Coin, int | None]:
    """The form's coin and amount: None for all of the balance, else base units."""
    coin = get_coin(uow, form.get("coin", ""))
    if form.get("part") != "part":
        return coin, None
    text = form.get("amount", "")
    if not text:
        raise InvalidInputError("enter the amount to settle, or choose all of the balance")
    return coin, to_base_units(parse_decimal(text), coin.decimals)


def _confirm_page(
    request: Request,
    uow: UnitOfWork,
    principal: TerminalPrincipal,
    quote: SettlementQuote,
    *,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    amount = format_amount(quote.amount, quote.decimals, quote.coin)
    return web.render(
        request,
        "sales_confirm.html",
        status_code,
        title=f"Confirm the settlement of {amount}",
        **_frame(uow, principal),
        quote=quote,
        amount=amount,
        available=format_amount(quote.available, quote.decimals, quote.coin),
        # The exact amount quoted, even for "all": a capture confirmed meanwhile must not
        # make the confirmation settle more than it showed.
        whole_coins=decimal_text(from_base_units(quote.amount, quote.decimals).normalize()),
        rate=decimal_text(quote.rate),
        gross=payout_text(quote.gross, quote.fiat),
        fee=payout_text(quote.fee, quote.fiat),
        net=payout_text(quote.net, quote.fiat),
        fee_percent=decimal_text(from_base_units(quote.fee_bps, 2)),
        key=secrets.token_urlsafe(18),
        notice=notice,
    )


@router.post(f"{SALES}/settlements/quote")
async def settlement_quote(request: Request) -> Response:
    form = await _form(request)
    web.check_csrf(request, form.get(web.CSRF_FIELD))
    return await run_in_threadpool(_quote, request, form)


def _quote(request: Request, form: dict[str, str]) -> Response:
    signed_in = _signed_in(request)
    with UnitOfWork(engine_of(request)) as uow:
        if isinstance(signed_in, Response):
            return signed_in
        try:
            coin, units = _wanted_units(uow, form)
            quote = quote_settlement(uow, signed_in.store_id, coin.symbol, units, coin.chain_id)
        except CoinposError as exc:
            message, status = _problem(exc)
            return _sales_page(
                request, uow, signed_in, error=message, status_code=status, settle_form=form
            )
        return _confirm_page(request, uow, signed_in, quote)


@router.post(f"{SALES}/settlements")
async def settlement_request(request: Request) -> Response:
    form = await _form(request)
    web.check_csrf(request, form.get(web.CSRF_FIELD))
    return await run_in_threadpool(_settle, request, form)


def _settle(request: Request, form: dict[str, str]) -> Response:
    signed_in = _signed_in(request)
    with UnitOfWork(engine_of(request)) as uow:
        if isinstance(signed_in, Response):
            return signed_in
        try:
            coin, units = _wanted_units(uow, form)
            store = get_store(uow, signed_in.store_id)
            # The rate the manager confirmed must still be the one the request will lock.
            current = latest_rate(uow.session, coin.symbol, store.fiat)
            if str(current.id) != form.get("rate_id"):
                quote = quote_settlement(uow, store.store_id, coin.symbol, units, coin.chain_id)
                return _confirm_page(
                    request, uow, signed_in, quote, status_code=409,
                    notice="The rate changed since the quote: check the new figures and "
                    "confirm again.",
                )  # fmt: skip
            uow.rollback()
            body = SettlementIn(
                coin=coin.symbol, amount=None if units is None else form.get("amount")
            )
            made = settlement_api.create_settlement(
                request, store.store_id, body, signed_in, uow, form.get("key") or None
            )
        except DuplicateRequestError:
            uow.rollback()
            return _sales_page(
                request, uow, signed_in, status_code=409,
                error="This settlement was already requested once: it is in the history below.",
            )  # fmt: skip
        except (CoinposError, ProblemError, ValidationError) as exc:
            uow.rollback()
            message, status = _problem(exc)
            return _sales_page(request, uow, signed_in, error=message, status_code=status)
    return RedirectResponse(f"{SALES}?{urlencode({'requested': made.id})}", status_code=303)


def _store_invoice(uow: UnitOfWork, principal: TerminalPrincipal, invoice_id: str) -> Invoice:
    try:
        invoice = get_invoice(uow, invoice_id)
    except UnknownInvoiceError:
        invoice = None
    if invoice is None or invoice.store_id != principal.store_id:
        raise ProblemError(404, f"no invoice {invoice_id}", "not-found")
    return invoice


def _refund_limit(request: Request, uow: UnitOfWork, invoice: Invoice) -> tuple[str, int | None]:
    """The escrow's state of the payment and what is left to refund (None: unknown here)."""
    sender = request.app.state.sender
    if sender is None:
        return "unknown: this server has no node", None
    if invoice.escrow_address != sender.escrow.address:
        return f"at another escrow ({invoice.escrow_address})", None
    status, available = sender.escrow.payment(bytes32_topic(invoice.invoice_hash))
    if status != CAPTURED:
        return PAYMENT_STATUSES[status], 0
    return PAYMENT_STATUSES[status], refundable(available, uow, sender.escrow.w3, invoice)


def _refund_page(
    request: Request,
    uow: UnitOfWork,
    principal: TerminalPrincipal,
    invoice: Invoice,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    coin = uow.session.get(Coin, invoice.coin_id)
    assert coin is not None  # a foreign key guarantees it
    state, left = _refund_limit(request, uow, invoice)
    return web.render(
        request,
        "sales_refund.html",
        status_code,
        title=f"Refund {invoice.invoice_hash[:10]}…",
        **_frame(uow, principal),
        invoice=invoice,
        price=format_amount(invoice.amount, coin.decimals, coin.symbol),
        coin=coin.symbol,
        state=state,
        left=None if left is None else format_amount(left, coin.decimals, coin.symbol),
        can_refund=bool(left),
        key=secrets.token_urlsafe(18),
        notice=notice,
        error=error,
    )


@router.get(f"{SALES}/refunds/{{invoice_id}}", response_class=HTMLResponse)
def refund_page(request: Request, invoice_id: InvoiceId, uow: UoW) -> Response:
    signed_in = _signed_in(request)
    if isinstance(signed_in, Response):
        return signed_in
    return _refund_page(request, uow, signed_in, _store_invoice(uow, signed_in, invoice_id))


@router.post(f"{SALES}/refunds/{{invoice_id}}")
async def refund(request: Request, invoice_id: InvoiceId) -> Response:
    form = await _form(request)
    web.check_csrf(request, form.get(web.CSRF_FIELD))
    return await run_in_threadpool(_refund, request, invoice_id, form)


def _refund(request: Request, invoice_id: str, form: dict[str, str]) -> Response:
    signed_in = _signed_in(request)
    with UnitOfWork(engine_of(request)) as uow:
        if isinstance(signed_in, Response):
            return signed_in
        invoice = _store_invoice(uow, signed_in, invoice_id)
        coin = uow.session.get(Coin, invoice.coin_id)
        assert coin is not None
        try:
            amount = form.get("amount", "") if form.get("part") == "part" else ""
            if form.get("part") == "part" and not amount:
                raise InvalidInputError("enter the amount to refund, or choose all that is left")
            done = refunds_api.refund_invoice(
                request, signed_in.store_id, invoice.invoice_hash,
                RefundIn(amount=amount or None), signed_in, uow, form.get("key") or None,
            )  # fmt: skip
        except (CoinposError, ProblemError, ValidationError) as exc:
            uow.rollback()
            message, status = _problem(exc)
            return _refund_page(request, uow, signed_in, invoice, error=message, status_code=status)
        shown = format_amount(int(done.amount), coin.decimals, coin.symbol)
        notice = f"Refund of {shown}: {done.status.value}"
        notice += f", transaction {done.tx_hash}." if done.tx_hash else "."
        if done.failure_reason:
            notice += f" {done.failure_reason}"
        return _refund_page(request, uow, signed_in, invoice, notice=notice, status_code=201)
