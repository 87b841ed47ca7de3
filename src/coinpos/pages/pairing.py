"""The POS terminal's pairing: its API key, posted once, kept in an HttpOnly, SameSite=Strict
cookie scoped to /pos, so no script, URL or page ever holds it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from coinpos.apikeys.service import InvalidKeyError, authenticate_key
from coinpos.server.auth import TerminalPrincipal, unauthenticated
from coinpos.server.database import engine_of
from coinpos.unit_of_work import UnitOfWork

TERMINAL_COOKIE = "coinpos_terminal"
POS_PATH = "/pos"


def principal_of_key(request: Request, key: str) -> TerminalPrincipal:
    """The key's terminal; InvalidKeyError when no live key matches."""
    with UnitOfWork(engine_of(request)) as uow:
        holder = authenticate_key(uow, key)
    return TerminalPrincipal(holder.prefix, holder.store_id, holder.terminal_code, holder.role)


def paired_terminal(request: Request) -> TerminalPrincipal | None:
    key = request.cookies.get(TERMINAL_COOKIE)
    if not key:
        return None
    try:
        return principal_of_key(request, key)
    except InvalidKeyError:
        return None


def require_paired(request: Request) -> TerminalPrincipal:
    principal = paired_terminal(request)
    if principal is None:
        raise unauthenticated("this terminal is not paired: open /pos and enter its key")
    return principal


PairedTerminal = Annotated[TerminalPrincipal, Depends(require_paired)]


def keep_key(request: Request, response: Response, key: str) -> None:
    response.set_cookie(
        TERMINAL_COOKIE,
        key,
        max_age=400 * 24 * 3600,
        path=POS_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget_key(response: Response) -> None:
    response.delete_cookie(TERMINAL_COOKIE, path=POS_PATH, httponly=True, samesite="strict")
