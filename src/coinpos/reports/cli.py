"""`coinpos reports sales`: a store's sales, valued at sale time and now."""

from __future__ import annotations

from datetime import date
from typing import IO, TYPE_CHECKING, Any

import click

from coinpos.cli_support import (
    DATE,
    OUTPUT_FILE,
    STORE,
    AppContext,
    emit,
    json_option,
    pass_app,
    unit_of_work,
)

if TYPE_CHECKING:
    from coinpos.reports.service import Sale


def _sale_row(sale: Sale, fiat: str) -> dict[str, Any]:
    from dataclasses import asdict

    from coinpos.money import CoinAmount

    row = asdict(sale)
    del row["decimals"]
    row["amount"] = CoinAmount(sale.amount_base_units, sale.decimals, sale.coin)
    return {**row, "fiat": fiat}


@click.group()
def reports() -> None:
    """Reports for stores and staff."""


@reports.command()
@click.argument("store_id", metavar="STORE", type=STORE)
@click.option("--from", "since", type=DATE, help="First day (YYYY-MM-DD, UTC).")
@click.option("--to", "until", type=DATE, help="Last day (YYYY-MM-DD, UTC).")
@click.option(
    "--max-rate-age",
    type=click.IntRange(min=1),
    default=3600,
    show_default=True,
    help="Seconds a current rate may be old.",
)
@click.option(
    "--csv",
    "csv_out",
    type=OUTPUT_FILE,
    help="Write the sales as CSV to this file ('-' for stdout).",
)
@json_option
@pass_app
def sales(
    app: AppContext,
    store_id: str,
    since: date | None,
    until: date | None,
    max_rate_age: int,
    csv_out: IO[str] | None,
    as_json: bool,
) -> None:
    """A store's sales with their fiat value at sale time and now, and request counts."""
    from datetime import timedelta

    from coinpos.reports.service import sales_report, write_csv
    from coinpos.stores.service import resolve_store

    with unit_of_work(app) as uow:
        store_id = resolve_store(uow, store_id).store_id
        report = sales_report(
            uow, store_id, since, until, max_rate_age=timedelta(seconds=max_rate_age)
        )
    if csv_out is not None:
        count = write_csv(report, csv_out)
        click.echo(f"wrote {count} sales", err=True)
        return
    rows = [_sale_row(sale, report.fiat) for sale in report.sales]
    summary = report.summary()
    if as_json:
        import json

        from coinpos.cli_support import _jsonable

        clean = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
        summary_clean = {k: _jsonable(v) for k, v in summary.items()}
        click.echo(json.dumps({"summary": summary_clean, "sales": clean}, indent=2))
        return
    emit(rows, False, f"sales of {report.store_id}")
    emit([summary], False, "summary", single=True)
