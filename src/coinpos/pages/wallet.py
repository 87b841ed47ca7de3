"""`/wallet`: the customer's page (FIG 6B, 7). Log in and out with the customer session
service; every coin of every wallet with its balance, rate, fiat value and the total; a
coin's rate history as an SVG chart; the history; campaigns near the device's position.

A thin adapter: login and logout go through the customer routes' own functions, holdings
through the same read as `GET /api/v1/me/wallets`, and the rest through the services.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from coinpos.customers import api as customers_api
from coinpos.customers.history import customer_history
from coinpos.customers.schemas import LoginIn
from coinpos.customers.sessions import SessionError
from coinpos.db.models import Customer
from coinpos.mining.nearby import campaigns_near
from coinpos.money import FIAT_PLACES
from coinpos.pages import web
from coinpos.pages.customer_session import forget_session, keep_session, logged_in_customer
from coinpos.pages.ratechart import rate_chart
from coinpos.pages.wallet_view import campaign_rows, history_rows, holdings_view
from coinpos.rates.history import rate_history
from coinpos.server.auth import CustomerPrincipal
from coinpos.server.database import engine_of
from coinpos.server.problems import ProblemError
from coinpos.tracker.errors import NodeUnavailableError, RpcError
from coinpos.unit_of_work import UnitOfWork

router = APIRouter(include_in_schema=False)

DEFAULT_FIAT = "KRW"
CHART_RATES = 48
HISTORY_LIMIT = 50
WRONG_LOGIN = "The login ID or password is wrong."

FiatChoice = Annotated[str | None, Query(max_length=3)]
CoinChoice = Annotated[str | None, Query(max_length=16)]


@dataclass(frozen=True)
class Position:
    lat_e6: int
    lon_e6: int

    @property
    def shown(self) -> str:
        return f"{Decimal(self.lat_e6).scaleb(-6):f}, {Decimal(self.lon_e6).scaleb(-6):f}"


class PositionError(ValueError):
    """A latitude or longitude the form cannot use."""


async def _form(request: Request) -> dict[str, str]:
    fields = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)
    return {name: values[0] for name, values in fields.items()}


def _fiat(chosen: str | None) -> str:
    return chosen if chosen in FIAT_PLACES else DEFAULT_FIAT


def degrees_e6(text: str, name: str, limit: int) -> int:
    """Decimal degrees (what a phone or a person gives) → micro-degrees, rounded half-even."""
    cleaned = text.strip()
    if not cleaned or not cleaned.isascii() or "e" in cleaned.lower() or len(cleaned) > 24:
        raise PositionError(f"The {name} must be decimal degrees, such as 37.4979.")
    try:
        degrees = Decimal(cleaned)
    except InvalidOperation:
        raise PositionError(f"The {name} must be decimal degrees, such as 37.4979.") from None
    if not degrees.is_finite() or abs(degrees) > limit:
        raise PositionError(f"The {name} must be between -{limit} and {limit} degrees.")
    return int(degrees.scaleb(6).to_integral_value(rounding=ROUND_HALF_EVEN))


def _login_page(
    request: Request, error: str | None = None, status_code: int = 200, login_id: str = ""
) -> Response:
    return web.render(
        request, "wallet_login.html", status_code, title="Log in to your wallet",
        error=error, login_id=login_id,
    )  # fmt: skip


def _wallet_page(
    request: Request,
    principal: CustomerPrincipal,
    fiat: str,
    coin: str | None,
    position: Position | None = None,
    position_error: str | None = None,
    typed: tuple[str, str] = ("", ""),
) -> Response:
    with UnitOfWork(engine_of(request)) as uow:
        customer = uow.session.get(Customer, principal.customer_id)
        assert customer is not None  # the session joined it
        holdings = None
        holdings_error = None
        try:
            found = customers_api._holdings(request, uow, principal.customer_id, fiat)
            holdings = holdings_view(found, fiat)
        except ProblemError as exc:
            holdings_error = f"Balances cannot be read now: {exc.detail}."
        except (NodeUnavailableError, RpcError):
            holdings_error = "Balances cannot be read now: the node did not answer."
        coins = holdings.coins if holdings else []
        chart_coin = coin if coin in coins else (coins[0] if coins else None)
        chart = None
        if chart_coin is not None:
            rates = rate_history(uow.session, chart_coin, fiat, limit=CHART_RATES)
            chart = rate_chart(chart_coin, fiat, [(r.observed_at, r.rate) for r in rates])
        history = history_rows(customer_history(uow, principal.customer_id, HISTORY_LIMIT))
        now = int(time.time())
        campaigns = None
        if position is not None:
            try:
                near = campaigns_near(uow.session, position.lat_e6, position.lon_e6, now)
                campaigns = campaign_rows(near, now)
            except ValueError as exc:
                position_error = f"That position cannot be used: {exc}."
                position = None
        name = customer.name
    return web.render(
        request,
        "wallet.html",
        title=f"{name} · wallet",
        name=name,
        fiat=fiat,
        fiats=sorted(FIAT_PLACES),
        holdings=holdings,
        holdings_error=holdings_error,
        chart=chart,
        chart_coin=chart_coin,
        coins=coins,
        history=history,
        campaigns=campaigns,
        position=position,
        position_error=position_error,
        typed=typed if position is None else position.shown.split(", "),
    )


@router.get("/wallet", response_class=HTMLResponse)
def wallet_page(request: Request, fiat: FiatChoice = None, coin: CoinChoice = None) -> Response:
    principal = logged_in_customer(request)
    if principal is None:
        return _login_page(request)
    return _wallet_page(request, principal, _fiat(fiat), coin)


def _log_in(request: Request, login_id: str, password: str) -> Response | tuple[str, int]:
    """The redirect into the wallet carrying the new session's cookie, or the refusal's
    message and status (401 for a wrong login, 429 while throttled)."""
    try:
        body = LoginIn(login_id=login_id, password=password)
    except ValidationError:
        return WRONG_LOGIN, 401
    with UnitOfWork(engine_of(request)) as uow:
        try:
            new = customers_api.log_in(request, body, uow)
        except SessionError:
            return WRONG_LOGIN, 401
        except ProblemError as exc:  # throttled: the detail says how long to wait
            return f"{exc.detail[:1].upper()}{exc.detail[1:]}.", exc.status
    response = RedirectResponse("/wallet", status_code=303)
    keep_session(request, response, new.token, new.expires_at)
    return response


@router.post("/wallet/login")
async def log_in(request: Request) -> Response:
    form = await _form(request)
    web.check_csrf(request, form.get(web.CSRF_FIELD))
    login_id = form.get("login_id", "").strip()
    outcome = await run_in_threadpool(_log_in, request, login_id, form.get("password", ""))
    if isinstance(outcome, Response):
        return outcome
    message, status = outcome
    return _login_page(request, message, status, login_id)


def _log_out(request: Request) -> None:
    principal = logged_in_customer(request)
    if principal is None:
        return
    with UnitOfWork(engine_of(request)) as uow:
        customers_api.log_out(principal, uow)


@router.post("/wallet/logout")
async def log_out(request: Request) -> Response:
    form = await _form(request)
    web.check_csrf(request, form.get(web.CSRF_FIELD))
    await run_in_threadpool(_log_out, request)
    response = RedirectResponse("/wallet", status_code=303)
    forget_session(response)
    return response


@router.post("/wallet/campaigns", response_class=HTMLResponse)
async def nearby_campaigns(request: Request) -> Response:
    """The wallet with the campaigns near the posted position (from the browser's
    geolocation or typed in): posted, so the position stays out of URLs and history."""
    form = await _form(request)
    web.check_csrf(request, form.get(web.CSRF_FIELD))
    principal = await run_in_threadpool(logged_in_customer, request)
    if principal is None:
        return RedirectResponse("/wallet", status_code=303)
    typed = (form.get("lat", "")[:32], form.get("lon", "")[:32])
    position, error = None, None
    try:
        position = Position(
            degrees_e6(typed[0], "latitude", 90), degrees_e6(typed[1], "longitude", 180)
        )
    except PositionError as exc:
        error = str(exc)
    return await run_in_threadpool(
        _wallet_page, request, principal, _fiat(form.get("fiat")), form.get("coin"),
        position, error, typed,
    )  # fmt: skip
