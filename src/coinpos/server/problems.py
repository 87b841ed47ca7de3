"""RFC 9457 problem details for every error the server answers.

Service errors (CoinposError) map to a status by their class, through the one table
below (the most specific class listed wins). FastAPI's own errors (validation, unknown
route, wrong method) become problems too, and anything unexpected is a 500 problem with no
traceback in the body (the traceback goes to the log, under the request id).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from coinpos.apikeys.service import ApiKeyError, InvalidKeyError, UnknownKeyError
from coinpos.catalogue.service import CatalogueError, OutOfStockError
from coinpos.chainops.connect import NetworkError
from coinpos.chainops.keys import OperatorKeyError
from coinpos.chainops.operations import OperationError
from coinpos.chainops.sender import OperatorBusyError, SendError
from coinpos.customers.service import CustomerError, UnknownCustomerError
from coinpos.customers.sessions import SessionError
from coinpos.db.status import DatabaseNotReadyError
from coinpos.errors import CoinposError, DeploymentError
from coinpos.invoices.service import InvoiceError, UnknownInvoiceError
from coinpos.invoices.terms import InvoiceTermsError
from coinpos.ledger import DuplicateRequestError, LedgerError
from coinpos.money import MoneyError
from coinpos.payment_uri import PaymentUriError
from coinpos.qr import QrError
from coinpos.rates.errors import RateError, RateNotFoundError, StaleRateError
from coinpos.settlement.service import SettlementError
from coinpos.stores.service import (
    StoreError,
    UnknownCoinError,
    UnknownStoreError,
    UnknownTerminalError,
)
from coinpos.tracker.errors import TrackerError
from coinpos.validation import InvalidInputError
from coinpos.webhooks.service import UnknownWebhookError, WebhookError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:coinpos:problem:"
log = logging.getLogger("coinpos.server")

# CoinposError class → (HTTP status, problem type slug). Classes not listed take the
# nearest listed base class; CoinposError itself is a refused request (400).
ERROR_STATUS: dict[type[CoinposError], tuple[int, str]] = {
    CoinposError: (400, "refused"),
    InvalidInputError: (422, "invalid-input"),
    MoneyError: (422, "invalid-amount"),
    PaymentUriError: (422, "invalid-input"),
    QrError: (422, "invalid-input"),
    InvoiceTermsError: (422, "invalid-terms"),
    UnknownStoreError: (404, "not-found"),
    UnknownTerminalError: (404, "not-found"),
    UnknownInvoiceError: (404, "not-found"),
    UnknownCustomerError: (404, "not-found"),
    UnknownKeyError: (404, "not-found"),
    UnknownCoinError: (422, "unknown-coin"),
    RateNotFoundError: (409, "no-rate"),
    StaleRateError: (409, "stale-rate"),
    RateError: (409, "rate-refused"),
    StoreError: (409, "conflict"),
    CatalogueError: (409, "conflict"),
    OutOfStockError: (409, "out-of-stock"),
    InvoiceError: (409, "conflict"),
    CustomerError: (409, "conflict"),
    SettlementError: (409, "conflict"),
    LedgerError: (409, "conflict"),
    DuplicateRequestError: (409, "duplicate-request"),
    OperationError: (409, "conflict"),
    ApiKeyError: (409, "conflict"),
    InvalidKeyError: (401, "unauthenticated"),
    SessionError: (401, "unauthenticated"),
    OperatorBusyError: (503, "operator-busy"),
    SendError: (502, "chain-send-failed"),
    NetworkError: (503, "chain-unavailable"),
    TrackerError: (503, "chain-unavailable"),
    DeploymentError: (503, "not-configured"),
    OperatorKeyError: (503, "not-configured"),
    DatabaseNotReadyError: (503, "database-not-ready"),
    WebhookError: (409, "conflict"),
    UnknownWebhookError: (404, "not-found"),
}


def status_of(error: CoinposError) -> tuple[int, str]:
    for klass in type(error).__mro__:
        if klass in ERROR_STATUS:
            return ERROR_STATUS[klass]
    return ERROR_STATUS[CoinposError]


class FieldError(BaseModel):
    field: str = Field(description="Where the value was: body.cart.0.quantity, query.limit, …")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


@dataclass
class ProblemError(Exception):
    """Raised by a route or a dependency to answer with a problem."""

    status: int
    detail: str
    slug: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    errors: list[FieldError] | None = None


def not_found(what: str) -> ProblemError:
    return ProblemError(404, f"no {what}", "not-found")


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]


def problem_response(
    status: int,
    detail: str,
    slug: str = "",
    headers: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
) -> JSONResponse:
    title = HTTPStatus(status).phrase
    problem = Problem(
        type=TYPE_BASE + (slug or title.lower().replace(" ", "-")),
        title=title,
        status=status,
        detail=_one_line(detail),
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    # The offending input is left out: it may be a password.
    return [
        FieldError(
            field=".".join(str(part) for part in error.get("loc", ())),
            message=str(error.get("msg", "invalid")),
        )
        for error in exc.errors()
    ]


def install(app: FastAPI) -> None:
    """Registers the handlers that turn every error into a problem."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(exc.status, exc.detail, exc.slug, exc.headers, exc.errors)

    async def on_coinpos(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CoinposError)
        status, slug = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return problem_response(status, str(exc), slug, headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _field_errors(exc)
        first = errors[0] if errors else None
        detail = f"{first.field}: {first.message}" if first else "the request is not valid"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        return problem_response(422, detail, "invalid-input", errors=errors)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path}"
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return problem_response(exc.status_code, detail, headers=dict(exc.headers or {}))

    async def on_database(request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", str(exc).splitlines()[0])
        return problem_response(503, "the database is unavailable", "database-unavailable")

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception(
            "unexpected error", extra={"request_id": request.scope.get("coinpos.request_id")}
        )
        return problem_response(500, "internal error; it has been logged", "internal")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(CoinposError, on_coinpos)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(OperationalError, on_database)
    app.add_exception_handler(Exception, on_unexpected)


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


# Documented on every API route, so a client (and schemathesis) knows each error's shape.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "description": HTTPStatus(status).phrase,
        "content": _problem_content(),
    }
    for status in (400, 401, 403, 404, 409, 422, 429, 503)
}
