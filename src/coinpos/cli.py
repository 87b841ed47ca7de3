"""The staff CLI: `coinpos <group> <command>`.

Entry points stay thin: they parse input, call a service, and print. Any CoinposError
becomes a one-line message with exit code 2. Heavy modules are imported lazily so that
`coinpos --help` stays fast.
"""

from __future__ import annotations

import sys

import click

from coinpos import __version__
from coinpos.errors import CoinposError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coinpos")
def cli() -> None:
    """coinpos exchange staff tools."""


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except CoinposError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
