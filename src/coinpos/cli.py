"""The staff CLI: `coinpos [--config PATH] [--db URL] <group> <command>`.

Entry points stay thin: they parse input, call a service, and print. Every error becomes
one line on stderr, exit code 2 for bad input (see coinpos.cli_support for the rules and
for what every command added below the root inherits). Services and the
database layer are imported inside the commands, so `coinpos --help` stays fast.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from coinpos import __version__
from coinpos.cli_support import DATABASE_URL, AppContext, CoinposGroup

# Each module area contributes its click groups as "module:attribute".
COMMAND_GROUPS = (
    "coinpos.db.cli:db",
    "coinpos.db.cli:status",
    "coinpos.customers.cli:customers",
    "coinpos.stores.cli:stores",
    "coinpos.stores.cli:terminals",
    "coinpos.apikeys.cli:terminals",
    "coinpos.stores.cli:coins",
    "coinpos.catalogue.cli:catalogue",
    "coinpos.rates.cli:rates",
    "coinpos.settlement.cli:settle",
    "coinpos.settlement.cli:payouts",
    "coinpos.mining.cli:mining",
    "coinpos.invoices.cli:invoices",
    "coinpos.chainops.cli:ops",
    "coinpos.reports.cli:reports",
    "coinpos.tracker.cli:track",
    "coinpos.tracker.cli:notify",
    "coinpos.reconcile.cli:reconcile",
    "coinpos.settings_cli:config",
    "coinpos.server.cli:serve",
)


@click.group(cls=CoinposGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coinpos")
@click.option(
    "--db",
    "db_url",
    type=DATABASE_URL,
    metavar="URL",
    help="Database URL (default: $COINPOS_DATABASE_URL, else sqlite:///.coinpos/coinpos.db).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Settings file (default: ./coinpos.toml when there); the environment and flags "
    "override it. See `coinpos config show`.",
)
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, config_path: Path | None) -> None:
    """coinpos exchange staff tools."""
    from coinpos import settings
    from coinpos.ape_output import route_ape_logs

    route_ape_logs()
    loaded = settings.load(config_path, flags={"database_url": db_url})
    ctx.with_resource(loaded.exported())
    ctx.meta[settings.SETTINGS_META_KEY] = loaded
    ctx.obj = AppContext(db_url)


def _register() -> None:
    for spec in COMMAND_GROUPS:
        module_name, attribute = spec.split(":")
        cli.add_command(getattr(importlib.import_module(module_name), attribute))


_register()


def main() -> None:
    cli.main(prog_name="coinpos")
