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

    run_upgrade(app.engine)
    click.echo(f"database at {app.engine.url.render_as_string(hide_password=True)} is up to date")


@click.command()
@json_option
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """Database state: schema revision and the work waiting in it."""
    from coinpos.db.status import database_status

    emit([database_status(app.engine)], as_json, "coinpos status", single=True)
