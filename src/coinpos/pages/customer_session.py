"""The wallet page's login: the customer session token (`customers.sessions`) kept in an
HttpOnly, SameSite=Strict cookie scoped to /wallet, so no script, URL or page holds it."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request, Response

from coinpos.customers.sessions import InvalidSessionError, authenticate_session
from coinpos.db.types import utcnow
from coinpos.server.auth import CustomerPrincipal
from coinpos.server.database import engine_of
from coinpos.unit_of_work import UnitOfWork

CUSTOMER_COOKIE = "coinpos_customer"
WALLET_PATH = "/wallet"


def logged_in_customer(request: Request) -> CustomerPrincipal | None:
    """The customer of the cookie's live session, or None (no cookie, expired, revoked)."""
    token = request.cookies.get(CUSTOMER_COOKIE)
    if not token:
        return None
    try:
        with UnitOfWork(engine_of(request)) as uow:
            holder = authenticate_session(uow, token)
    except InvalidSessionError:
        return None
    return CustomerPrincipal(holder.customer_id, holder.login_id, holder.session_id)


def keep_session(request: Request, response: Response, token: str, expires_at: datetime) -> None:
    response.set_cookie(
        CUSTOMER_COOKIE,
        token,
        max_age=max(0, int((expires_at - utcnow()).total_seconds())),
        path=WALLET_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget_session(response: Response) -> None:
    response.delete_cookie(CUSTOMER_COOKIE, path=WALLET_PATH, httponly=True, samesite="strict")
