"""`coinpos serve`: the exchange server under uvicorn.

The options reach every worker through the environment (uvicorn starts workers as fresh
processes that call `app_from_environment`), so one worker or several build the same app.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Mapping

import click
from fastapi import FastAPI

from coinpos.cli_support import AppContext, pass_app
from coinpos.server import settings as server_settings


def app_from_environment(environment: Mapping[str, str] = os.environ) -> FastAPI:
    from coinpos.server.app import create_app

    return create_app(server_settings.ServerSettings.from_environment(environment))


def openapi_document(app: FastAPI) -> str:
    """The OpenAPI document as committed in docs/openapi.json (stable key order)."""
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


@click.command()
@click.option(
    "--network", help="ecosystem:network whose artifact names the escrow (signs invoices)."
)
@click.option(
    "--operator", "operator_alias", help="ape account alias (else $COINPOS_OPERATOR_KEY)."
)
@click.option(
    "--rpc", "rpc_url", envvar="COINPOS_RPC_URL", metavar="URL", help="Node URL for /readyz."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free one).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (for several, use PostgreSQL: SQLite serialises every write).",
)
@click.option(
    "--allow-private-webhooks",
    is_flag=True,
    help="Accept webhook URLs on loopback and private addresses (tests, local demos).",
)
@click.option("--print-openapi", is_flag=True, help="Print the OpenAPI document and exit.")
@pass_app
def serve(
    app: AppContext,
    network: str | None,
    operator_alias: str | None,
    rpc_url: str | None,
    host: str,
    port: int,
    workers: int,
    allow_private_webhooks: bool,
    print_openapi: bool,
) -> None:
    """Serve the exchange API (POS terminals and customer devices) over HTTP."""
    from coinpos.db.engine import database_url

    environment = {
        server_settings.ENV_DATABASE: database_url(app.db_url),
        server_settings.ENV_NETWORK: network or "",
        server_settings.ENV_OPERATOR: operator_alias or "",
        server_settings.ENV_RPC: rpc_url or "",
        server_settings.ENV_ALLOW_PRIVATE_WEBHOOKS: "1" if allow_private_webhooks else "",
    }
    if print_openapi:
        from coinpos.server.app import create_app

        document = create_app(server_settings.ServerSettings(database_url="sqlite:///:memory:"))
        sys.stdout.write(openapi_document(document))
        return
    # A missing SQLite file is refused, never created: `coinpos db upgrade` makes it.
    app.engine.dispose()
    if not os.environ.get(server_settings.ENV_CHECKOUT_SECRET):
        # One key for every worker, so a checkout link opens on any of them.
        environment[server_settings.ENV_CHECKOUT_SECRET] = secrets.token_hex(32)
    # Fail here, once, with one line, rather than in each worker; the process's environment
    # changes only once the options are known to be good.
    app_from_environment({**os.environ, **environment})
    os.environ.update(environment)

    import uvicorn

    uvicorn.run(
        "coinpos.server.cli:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=_log_config(),
    )


def _log_config() -> dict[str, object]:
    """uvicorn's own messages, and the JSON access lines as they are, on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(message)s"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO"},
            "coinpos.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "coinpos.server": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }
