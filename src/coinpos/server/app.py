"""The app factory: `create_app(settings)` builds the FastAPI app every worker serves.

Each area's routes come from `<area>/api.py` (its `router`), listed in API_ROUTERS and
mounted under /api/v1 with the problem responses documented. Nothing here holds state
between requests but the engine and the invoice signer, so any number of workers and
servers can share one database.
"""

from __future__ import annotations

import importlib
import secrets
from typing import Any

from fastapi import APIRouter, FastAPI

from coinpos import __version__
from coinpos.db.engine import database_url, make_engine
from coinpos.pages.mount import mount_pages
from coinpos.server import health, problems
from coinpos.server.access_log import AccessLogMiddleware
from coinpos.server.chain import load_sender
from coinpos.server.idempotency import IdempotencyMiddleware
from coinpos.server.settings import ServerSettings
from coinpos.server.templates import PathTemplates

API_PREFIX = "/api/v1"

# "module:attribute" of each area's APIRouter, mounted under API_PREFIX.
API_ROUTERS: tuple[str, ...] = (
    "coinpos.catalogue.api:router",
    "coinpos.invoices.api:router",
    "coinpos.customers.api:router",
    "coinpos.reports.api:router",
    "coinpos.settlement.api:router",
    "coinpos.chainops.api:router",
    "coinpos.invoices.events_api:router",
    "coinpos.webhooks.api:router",
)


def _load_issuer(settings: ServerSettings) -> Any:
    """The invoice signer, drawing no QR files: the server draws them when asked."""
    from dataclasses import replace

    if settings.issuer is not None:
        return replace(settings.issuer, qr_dir=None)
    if settings.network is None:
        return None
    from coinpos.chainops.connect import connect, issuer_for

    # Connecting checks the artifact's chain id against the node's before anything is signed.
    with connect(settings.network, settings.operator_alias) as connection:
        return replace(issuer_for(connection), qr_dir=None)


# Sync routes and dependencies run on AnyIO's thread pool, 40 threads per worker: a pool of
# up to as many connections keeps a request from queueing for one (10 are kept open; the
# default, 5 + 10, made a loaded worker wait, and time out after 30 s).
WORKER_THREADS = 40
KEPT_CONNECTIONS = 10


def _pool_size(settings: ServerSettings) -> dict[str, Any]:
    if database_url(settings.database_url).startswith("sqlite"):
        return {}
    return {"pool_size": KEPT_CONNECTIONS, "max_overflow": WORKER_THREADS - KEPT_CONNECTIONS}


def create_app(settings: ServerSettings, extra_routers: tuple[APIRouter, ...] = ()) -> FastAPI:
    """The app; `extra_routers` are mounted under /api/v1 beside the areas' routers."""
    app = FastAPI(
        title="coinpos exchange API",
        version=__version__,
        description=(
            "The outside API of the coinpos exchange: POS terminals (API keys of a store, "
            "roles terminal and manager) and customer devices (session tokens). Errors are "
            "RFC 9457 problem details."
        ),
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    engine = make_engine(settings.database_url, pool_pre_ping=True, **_pool_size(settings))
    app.state.settings = settings
    app.state.engine = engine
    app.state.issuer = _load_issuer(settings)
    app.state.sender = load_sender(settings)
    app.state.checkout_key = settings.checkout_secret or secrets.token_bytes(32)
    problems.install(app)
    app.include_router(health.router)
    api = APIRouter(prefix=API_PREFIX, responses=problems.PROBLEM_RESPONSES)
    for spec in API_ROUTERS:
        module_name, attribute = spec.split(":")
        api.include_router(getattr(importlib.import_module(module_name), attribute))
    for router in extra_routers:
        api.include_router(router)
    app.include_router(api)
    mount_pages(app)
    templates = PathTemplates(app.openapi)
    app.add_middleware(
        IdempotencyMiddleware,
        engine=engine,
        retention=settings.idempotency_retention,
        templates=templates,
    )
    app.add_middleware(AccessLogMiddleware, templates=templates)
    return app
