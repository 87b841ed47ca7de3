"""The staff CLI: `coinpos [--db URL] <group> <command>`.

Entry points stay thin: they parse input, call a service, and print. Any CoinposError
becomes a one-line message with exit code 2 (see coinpos.cli_support). Services and the
database layer are imported inside the commands, so `coinpos --help` stays fast.
"""

from __future__ import annotations

import importlib

import click

from coinpos import __version__
from coinpos.cli_support import AppContext, CoinposGroup

# Each module area contributes its click groups as "module:attribute".
COMMAND_GROUPS = (
    "coinpos.db.cli:db",
    "coinpos.db.cli:status",
    "coinpos.customers.cli:customers",
    "coinpos.stores.cli:stores",
    "coinpos.stores.cli:terminals",
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
)


@click.group(cls=CoinposGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coinpos")
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL (default: $COINPOS_DATABASE_URL, else sqlite:///.coinpos/coinpos.db).",
)
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """coinpos exchange staff tools."""
    ctx.obj = AppContext(db_url)


def _register() -> None:
    for spec in COMMAND_GROUPS:
        module_name, attribute = spec.split(":")
        cli.add_command(getattr(importlib.import_module(module_name), attribute))


_register()


def main() -> None:
    cli.main(prog_name="coinpos")
