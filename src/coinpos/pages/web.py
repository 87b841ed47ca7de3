"""What every page shares: the templates, the static files, the Content-Security-Policy
(only the app's own scripts and styles, nothing inline) and the CSRF double-submit token."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from coinpos.server.problems import ProblemError

HERE = Path(__file__).parent
STATIC_PREFIX = "/static"
CSRF_COOKIE = "coinpos_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

_environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


def secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def csrf_token(request: Request) -> str:
    """The browser's token: the one in its cookie, or a new one the page will set."""
    token = request.cookies.get(CSRF_COOKIE)
    return token if token and len(token) == 43 else secrets.token_urlsafe(32)


def check_csrf(request: Request, sent: str | None) -> None:
    """A state-changing post carries the token of its cookie (double submit): a page of
    another origin can make the browser send the cookie, but cannot read it to copy it."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise ProblemError(
            403, "the form's CSRF token is missing or wrong: reload the page", "csrf"
        )


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    token = csrf_token(request)
    html = _environment.get_template(template).render(csrf=token, static=STATIC_PREFIX, **context)
    response = HTMLResponse(html, status_code=status_code)
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    secure_headers(response)
    return response
