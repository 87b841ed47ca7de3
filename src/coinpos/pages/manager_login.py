"""The sales page's login: a key with the manager role, posted once and kept in an HttpOnly,
SameSite=Strict cookie scoped to /pos/sales (as the terminal's pairing is to /pos), so no
script, URL or page ever holds it. A terminal key is refused: it may sell, not settle."""

from __future__ import annotations

from fastapi import Request, Response

from coinpos.apikeys.service import InvalidKeyError
from coinpos.pages.pairing import principal_of_key
from coinpos.server.auth import TerminalPrincipal

MANAGER_COOKIE = "coinpos_manager"
SALES_PATH = "/pos/sales"
# A manager's sign-in lasts a working day; the terminal's pairing lasts as long as the key.
SIGN_IN_SECONDS = 12 * 3600

WRONG_KEY = "That is not a live key of this exchange."
TERMINAL_KEY = (
    "That is a terminal key: it can sell, not settle or refund. Sign in with a key that has "
    "the manager role (coinpos terminals issue-key … --role manager)."
)


class ManagerLoginError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def manager_of_key(request: Request, key: str) -> TerminalPrincipal:
    """The key's holder when it is a live manager key; ManagerLoginError otherwise."""
    try:
        principal = principal_of_key(request, key)
    except InvalidKeyError:
        raise ManagerLoginError(WRONG_KEY, 401) from None
    if not principal.is_manager:
        raise ManagerLoginError(TERMINAL_KEY, 403)
    return principal


def signed_in_manager(request: Request) -> TerminalPrincipal | None:
    """The manager of the browser's cookie; None without one, or when the key is no longer
    live or no longer a manager's."""
    key = request.cookies.get(MANAGER_COOKIE)
    if not key:
        return None
    try:
        return manager_of_key(request, key)
    except ManagerLoginError:
        return None


def keep_manager_key(request: Request, response: Response, key: str) -> None:
    response.set_cookie(
        MANAGER_COOKIE,
        key,
        max_age=SIGN_IN_SECONDS,
        path=SALES_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget_manager_key(response: Response) -> None:
    response.delete_cookie(MANAGER_COOKIE, path=SALES_PATH, httponly=True, samesite="strict")
