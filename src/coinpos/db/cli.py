"""`coinpos db upgrade` and `coinpos status`."""

from __future__ import annotations

import click

from coinpos.cli_support import AppContext, emit, json_option, pass_app


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
@pass_app
def upgrade(app: AppContext) -> None:
    """Create or migrate the schema to the latest revision of every module."""
    from coinpos.db.migrate import upgrade as run_upgrade

    engine = app.creating_engine()
    run_upgrade(engine)
    click.echo(f"database at {engine.url.render_as_string(hide_password=True)} is up to date")


@click.command()
@click.option("--rpc", "rpc_url", envvar="COINPOS_RPC_URL", metavar="URL",
              help="Node URL, to show the chain head and the tracker's lag.")  # fmt: skip
@json_option
@pass_app
def status(app: AppContext, rpc_url: str | None, as_json: bool) -> None:
    """Database state: schema revision, the work waiting in it, the tracker's lag."""
    from coinpos.db.status import database_status
    from coinpos.tracker.status import tracker_status

    summary = database_status(app.engine) | tracker_status(app.engine, rpc_url)
    emit([summary], as_json, "coinpos status", single=True)
