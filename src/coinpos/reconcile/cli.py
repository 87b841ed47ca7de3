"""`coinpos reconcile`: the ledger against the escrow's pools, per token."""

from __future__ import annotations

import click

from coinpos.cli_support import (
    AppContext,
    CommandError,
    emit,
    json_option,
    node_options,
    pass_app,
)
from coinpos.errors import CoinposError


@click.command()
@node_options("pools are read", "the escrow's address")
@click.option(
    "--block",
    type=click.IntRange(0),
    help="Compare at this block (default: the highest the tracker has scanned and confirmed).",
)
@json_option
@pass_app
def reconcile(
    app: AppContext, rpc_url: str, escrow: str | None, network_choice: str | None,
    block: int | None, as_json: bool,
) -> None:  # fmt: skip
    """Compare, per token, the ledger's held, captured-not-settled, fees and owed totals
    with the escrow's pools; list every difference.

    Exit status: 0 when every figure agrees, 1 when any differs (each difference is listed),
    2 on bad input."""
    from sqlalchemy.orm import Session

    from coinpos.reconcile.service import reconcile as run
    from coinpos.tracker.chain import ChainReader
    from coinpos.tracker.rpc import JsonRpcClient

    if network_choice and escrow is None:
        from coinpos.tracker.cli import _escrow_of

        escrow, _ = _escrow_of(network_choice, 0, rpc_url)
    if escrow is None:
        raise CommandError("name the escrow: --escrow ADDRESS or --network ECOSYSTEM:NETWORK")
    try:
        with Session(app.engine) as session:
            report = run(session, ChainReader(JsonRpcClient(rpc_url)), escrow, block=block)
    except CoinposError as exc:
        raise CommandError(str(exc)) from None
    title = f"coinpos reconcile (chain {report.chain_id}, block {report.block})"
    rows = [line.as_dict() for line in report.lines]
    emit(rows, as_json, title, columns=["coin", "field", "ledger", "chain", "difference"])
    if not report.agrees:
        if not as_json:
            click.echo(
                f"{len(report.differences)} figure(s) differ between the ledger and the escrow",
                err=True,
            )
        raise SystemExit(1)
