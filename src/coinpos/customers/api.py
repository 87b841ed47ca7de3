"""The customer device's routes: log in and out, their information, wallets with on-chain
balances and fiat values, history, and rate history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import select

from coinpos.customers import sessions
from coinpos.customers.history import customer_history
from coinpos.customers.holdings import WalletHoldings, customer_wallets, wallet_holdings
from coinpos.customers.schemas import (
    AccountOut,
    CustomerOut,
    HistoryEntryOut,
    HistoryOut,
    HoldingOut,
    LoginIn,
    RateHistoryOut,
    RateOut,
    SessionOut,
    WalletOut,
    WalletsOut,
)
from coinpos.db.models import Account, Customer
from coinpos.money import fiat_places, from_base_units
from coinpos.rates.history import rate_history
from coinpos.server.auth import Customer as CurrentCustomer
from coinpos.server.database import get_uow
from coinpos.server.money import decimal_text, fiat_amount
from coinpos.server.problems import ProblemError, not_found
from coinpos.server.settings import ServerSettings
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.unit_of_work import UnitOfWork

router = APIRouter(tags=["customers"])

UoW = Annotated[UnitOfWork, Depends(get_uow)]
Fiat = Annotated[str, Query(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. KRW.")]


@router.post(
    "/sessions",
    status_code=201,
    response_model=SessionOut,
    responses={429: {"description": "Too many failed logins; see Retry-After"}},
)
def log_in(request: Request, body: LoginIn, uow: UoW) -> SessionOut:
    settings: ServerSettings = request.app.state.settings
    policy = sessions.LoginPolicy(
        window=settings.login_window,
        per_login=settings.login_failures_per_login,
        per_client=settings.login_failures_per_client,
        lifetime=settings.session_lifetime,
    )
    client = request.client.host if request.client else "unknown"
    try:
        new = sessions.login(uow, body.login_id, body.password, client, policy)
    except sessions.LoginThrottledError as exc:
        raise ProblemError(
            429, str(exc), "too-many-logins", {"Retry-After": str(exc.retry_after)}
        ) from None
    return SessionOut(token=new.token, expires_at=new.expires_at)


@router.delete("/sessions/current", status_code=204, response_class=Response)
def log_out(customer: CurrentCustomer, uow: UoW) -> Response:
    sessions.logout(uow, customer.session_id)
    return Response(status_code=204)


@router.get("/me", response_model=CustomerOut)
def me(customer: CurrentCustomer, uow: UoW) -> CustomerOut:
    found = uow.session.get(Customer, customer.customer_id)
    assert found is not None  # the session joined it
    accounts = uow.session.scalars(
        select(Account).where(Account.customer_id == found.id).order_by(Account.id)
    )
    return CustomerOut(
        login_id=found.login_id,
        name=found.name,
        customer_type=found.customer_type.value,
        language=found.language,
        country_code=found.country_code,
        phone=found.phone,
        email=found.email,
        device_type=found.device_type,
        subscribed_on=found.subscribed_on,
        bank_name=found.bank_name,
        bank_account_number=found.bank_account_number,
        latitude_e6=found.latitude_e6,
        longitude_e6=found.longitude_e6,
        affiliated_group=found.affiliated_group,
        accounts=[AccountOut(address=a.address, account_code=a.account_code) for a in accounts],
    )


def _rpc(request: Request) -> JsonRpcClient:
    settings: ServerSettings = request.app.state.settings
    if settings.rpc_url is None:
        raise ProblemError(
            503, "this server was started without a node URL: it cannot read balances",
            "not-configured",
        )  # fmt: skip
    return JsonRpcClient(settings.rpc_url, timeout=10.0)


def _wallet_out(found: WalletHoldings) -> WalletOut:
    return WalletOut(
        address=found.wallet.address,
        chain_id=found.wallet.chain_id,
        holdings=[
            HoldingOut(
                token=h.token,
                coin=h.coin.symbol if h.coin else None,
                balance=str(h.balance),
                amount=decimal_text(from_base_units(h.balance, h.coin.decimals))
                if h.coin
                else None,
                fiat_value=fiat_amount(h.value),
            )
            for h in found.holdings
        ],
    )


def _holdings(
    request: Request, uow: UnitOfWork, customer_id: int, fiat: str, only: str | None = None
) -> list[WalletHoldings]:
    fiat_places(fiat)
    wallets = customer_wallets(uow, customer_id)
    if only is not None:
        wallets = [w for w in wallets if w.address.lower() == only.lower()]
        if not wallets:
            raise not_found("wallet with this address among yours")
    rpc = _rpc(request)
    try:
        return wallet_holdings(uow, wallets, rpc, fiat)
    finally:
        rpc.close()


@router.get("/me/wallets", response_model=WalletsOut)
def my_wallets(request: Request, customer: CurrentCustomer, uow: UoW, fiat: Fiat) -> WalletsOut:
    found = _holdings(request, uow, customer.customer_id, fiat)
    return WalletsOut(fiat=fiat, wallets=[_wallet_out(w) for w in found])


@router.get("/me/wallets/{wallet_address}", response_model=WalletOut)
def my_wallet(
    request: Request,
    wallet_address: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")],
    customer: CurrentCustomer,
    uow: UoW,
    fiat: Fiat,
) -> WalletOut:
    [found] = _holdings(request, uow, customer.customer_id, fiat, wallet_address)
    return _wallet_out(found)


@router.get("/me/history", response_model=HistoryOut)
def my_history(
    customer: CurrentCustomer, uow: UoW, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> HistoryOut:
    entries = customer_history(uow, customer.customer_id, limit)
    return HistoryOut(
        entries=[
            HistoryEntryOut(
                kind=e.kind,
                at=e.at,
                coin=e.coin,
                amount=None
                if e.decimals is None
                else decimal_text(from_base_units(e.amount, e.decimals)),
                base_units=str(e.amount),
                reference=e.reference,
                status=e.status,
            )
            for e in entries
        ]
    )


@router.get("/rates/{coin}/{fiat}", response_model=RateHistoryOut)
def rates(
    coin: Annotated[str, Path(pattern=r"^[A-Z0-9]{1,16}$")],
    fiat: Annotated[str, Path(pattern=r"^[A-Z]{3}$")],
    customer: CurrentCustomer,
    uow: UoW,
    since: Annotated[datetime | None, Query(description="ISO 8601 with a zone.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RateHistoryOut:
    if since is not None and since.tzinfo is None:
        raise ProblemError(422, "since has no time zone (add Z or +00:00)", "invalid-input")
    found = rate_history(uow.session, coin, fiat, since, limit)
    return RateHistoryOut(
        coin=coin,
        fiat=fiat,
        rates=[
            RateOut(rate=decimal_text(r.rate), observed_at=r.observed_at, source=r.source.value)
            for r in found
        ],
    )
