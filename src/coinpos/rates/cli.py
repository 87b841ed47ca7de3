"""`coinpos rates set|import|show`."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from coinpos.cli_support import (
    AMOUNT,
    FIAT,
    SYMBOL,
    TEXT_FILE,
    TIMESTAMP,
    AppContext,
    emit,
    json_option,
    pass_app,
    unit_of_work,
)

if TYPE_CHECKING:
    from coinpos.db.models import ExchangeRate


def _row(rate: ExchangeRate) -> dict[str, Any]:
    return {
        "coin": rate.coin,
        "fiat": rate.fiat,
        "rate": rate.rate,
        "source": rate.source,
        "observed_at": rate.observed_at,
    }


@click.group()
def rates() -> None:
    """Exchange rates (fiat per whole coin)."""


@rates.command("set")
@click.argument("coin", type=SYMBOL)
@click.argument("fiat", type=FIAT)
@click.argument("rate", type=AMOUNT)
@click.option("--at", "observed_at", type=TIMESTAMP, help="Observation time (default: now).")
@pass_app
def set_(
    app: AppContext, coin: str, fiat: str, rate: Decimal, observed_at: datetime | None
) -> None:
    """Record a rate entered by staff."""
    from coinpos.rates.service import set_rate

    with unit_of_work(app) as uow:
        row = set_rate(uow, coin, fiat, rate, observed_at)
    click.echo(f"{row.coin}/{row.fiat} = {row.rate} at {row.observed_at.isoformat()}")


@rates.command("import")
@click.argument("file", type=TEXT_FILE)
@pass_app
def import_(app: AppContext, file: Path) -> None:
    """Import a CSV (coin,fiat,rate,observed_at); one bad row refuses the whole file."""
    from coinpos.rates.service import import_csv

    text = file.read_text(encoding="utf-8")
    with unit_of_work(app) as uow:
        count = import_csv(uow, text)
    click.echo(f"imported {count} rates")


@rates.command()
@click.argument("coin", type=SYMBOL)
@click.argument("fiat", type=FIAT)
@click.option(
    "--max-age",
    type=click.IntRange(min=1),
    default=3600,
    show_default=True,
    help="Refuse a rate older than this many seconds.",
)
@json_option
@pass_app
def show(app: AppContext, coin: str, fiat: str, max_age: int, as_json: bool) -> None:
    """Show the latest rate; fails if it is stale."""
    from coinpos.rates.service import latest_rate

    with unit_of_work(app) as uow:
        row = _row(latest_rate(uow.session, coin, fiat, timedelta(seconds=max_age)))
    emit([row], as_json, f"{coin}/{fiat}", single=True)
