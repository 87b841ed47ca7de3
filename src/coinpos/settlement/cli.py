"""`coinpos settle request|send` and `coinpos payouts list|export|mark-paid`.

A request is recorded (the rate locked, the amount reserved); `settle send` is the settlement
run: every requested settlement of every store, one on-chain settle per coin."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

import click

from coinpos.cli_support import (
    AMOUNT,
    OUTPUT_FILE,
    STORE,
    SYMBOL,
    AppContext,
    emit,
    json_option,
    pass_app,
    unit_of_work,
)

if TYPE_CHECKING:
    from coinpos.db.models import Payout, Settlement

PAYOUT_STATUSES = ("pending", "exported", "paid")


def _settlement_row(settlement: Settlement, symbol: str, decimals: int) -> dict[str, Any]:
    from coinpos.money import CoinAmount

    return {
        "reference": settlement.reference,
        "store_id": settlement.store_id,
        "coin": symbol,
        "amount": CoinAmount(settlement.amount, decimals, symbol),
        "amount_base_units": settlement.amount,
        "rate": settlement.rate,
        "fiat": settlement.fiat,
        "gross": settlement.gross_fiat,
        "fee_bps": settlement.fee_bps,
        "fee": settlement.fee_fiat,
        "net": settlement.net_fiat,
        "status": settlement.status,
        "batch": None if settlement.batch is None else settlement.batch.reference,
    }


def _payout_row(payout: Payout) -> dict[str, Any]:
    return {
        "id": payout.id,
        "reference": payout.settlement.reference,
        "store_id": payout.store_id,
        "fiat": payout.fiat,
        "amount": payout.amount,
        "status": payout.status,
        "created_at": payout.created_at,
        "exported_at": payout.exported_at,
        "paid_at": payout.paid_at,
        "bank_reference": payout.bank_reference,
    }


PAYOUT_COLUMNS = ("id", "store_id", "amount", "fiat", "status", "created_at")


@click.group()
def settle() -> None:
    """Settle a store's captured coins into fiat."""


@settle.command()
@click.argument("store_id", metavar="STORE", type=STORE)
@click.argument("coin", type=SYMBOL)
@click.option("--amount", type=AMOUNT, help="Whole coins to settle, e.g. 12.50.")
@click.option("--all", "settle_all", is_flag=True, help="Settle the whole confirmed balance.")
@click.option("--key", required=True, help="Idempotency key; a repeated key is refused.")
@click.option(
    "--fee-bps",
    type=click.IntRange(0, 10_000),
    default=100,
    show_default=True,
    help="Settlement fee in basis points of the fiat value (100 = 1%).",
)
@click.option(
    "--max-rate-age",
    type=click.IntRange(min=1),
    default=3600,
    show_default=True,
    help="Seconds the rate locked may be old.",
)
@click.option(
    "--chain-id",
    type=click.IntRange(min=1),
    help="The coin's chain, when its symbol exists on several (default: --network's chain).",
)
@click.option(
    "--network",
    help="Check the escrow's captured pool first: ape network choice, e.g. ethereum:local:node.",
)
@click.option(
    "--operator", "operator_alias", help="ape account alias (else $COINPOS_OPERATOR_KEY)."
)
@json_option
@pass_app
def request(
    app: AppContext,
    store_id: str,
    coin: str,
    amount: Decimal | None,
    settle_all: bool,
    key: str,
    fee_bps: int,
    max_rate_age: int,
    chain_id: int | None,
    network: str | None,
    operator_alias: str | None,
    as_json: bool,
) -> None:
    """Request settlement of part (--amount) or all (--all) of a store's balance.

    The request is recorded and its amount reserved; `coinpos settle send` carries it on
    chain with every other store's. With --network, the escrow's captured pool is checked
    to cover it first.
    """
    if (amount is not None) == settle_all:
        raise click.UsageError("give exactly one of --amount and --all")
    if amount is not None and amount == 0:
        raise click.BadParameter("must be more than zero", param_hint="--amount")
    from contextlib import nullcontext

    from coinpos.money import to_base_units
    from coinpos.settlement.service import SettlementRequest, request_settlement
    from coinpos.stores.service import get_coin, resolve_store

    connection_context: Any = nullcontext()
    if network is not None:
        from coinpos.chainops.connect import connect

        connection_context = connect(network, operator_alias)
    with connection_context as connection, unit_of_work(app) as uow:
        if connection is not None:
            # The network's chain picks the coin when its symbol exists on several chains.
            network_chain = connection.deployment.chain_id
            if chain_id is not None and chain_id != network_chain:
                raise click.BadParameter(
                    f"{chain_id} is not the chain id of {network} ({network_chain})",
                    param_hint="--chain-id",
                )
            chain_id = network_chain
        store_id = resolve_store(uow, store_id).store_id
        found = get_coin(uow, coin, chain_id)
        units = None if amount is None else to_base_units(amount, found.decimals)
        wanted = SettlementRequest(
            store_id=store_id,
            coin=coin,
            idempotency_key=key,
            amount=units,
            fee_bps=fee_bps,
            max_rate_age=timedelta(seconds=max_rate_age),
            chain_id=chain_id,
        )
        if connection is None:
            settlement = request_settlement(uow, wanted)
        else:
            from coinpos.chainops.settlement import request_checked

            settlement = request_checked(uow, wanted, connection.sender.escrow)
        row = _settlement_row(settlement, found.symbol, found.decimals)
    emit([row], as_json, "settlement requested", single=True)


@settle.command()
@click.option("--network", required=True, help="ape network choice, e.g. ethereum:local:node.")
@click.option(
    "--operator", "operator_alias", help="ape account alias (else $COINPOS_OPERATOR_KEY)."
)
@json_option
@pass_app
def send(app: AppContext, network: str, operator_alias: str | None, as_json: bool) -> None:
    """Run a settlement: every requested settlement of every store, one settle per coin.

    Each coin's batch carries the stores' payouts and the fees they accrued, under a
    reference that names no store. A batch not sent (the node was down) is sent again;
    one that failed on chain gives its settlements back to the next run. Safe to rerun.
    """
    from coinpos.chainops.connect import connect
    from coinpos.chainops.settlement import EscrowSettlementExecutor
    from coinpos.money import CoinAmount
    from coinpos.settlement.batches import run_settlements

    with unit_of_work(app) as uow, connect(network, operator_alias) as connection:
        results = run_settlements(uow, EscrowSettlementExecutor(connection.sender))
        decimals = {c.symbol: c.decimals for c in _coins(uow)}
        rows = [
            {
                "reference": r.reference,
                "coin": r.coin,
                "settlements": r.settlements,
                "stores": r.stores,
                "payout": CoinAmount(r.payout, decimals[r.coin], r.coin),
                "payout_base_units": r.payout,
                "fees": CoinAmount(r.fees, decimals[r.coin], r.coin),
                "fees_base_units": r.fees,
                "status": r.status,
                "tx_hash": r.tx_hash,
                "error": r.error,
            }
            for r in results
        ]
    emit(rows, as_json, "settlement batches")
    if any(r.error for r in results):
        raise click.exceptions.Exit(1)


def _coins(uow: Any) -> list[Any]:
    from sqlalchemy import select

    from coinpos.db.models import Coin

    return list(uow.session.scalars(select(Coin)))


@click.group()
def payouts() -> None:
    """Fiat payouts owed to stores."""


@payouts.command("list")
@click.option("--status", type=click.Choice(PAYOUT_STATUSES), help="Only payouts in this status.")
@click.option(
    "--store",
    "store_id",
    type=STORE,
    help="Only this store's payouts (its id, an id prefix, or its name).",
)
@json_option
@pass_app
def list_payouts(app: AppContext, status: str | None, store_id: str | None, as_json: bool) -> None:
    """List payouts."""
    from coinpos.db.models import PayoutStatus
    from coinpos.settlement.payouts import list_payouts as service_list
    from coinpos.stores.service import resolve_store, short_store_ids

    with unit_of_work(app) as uow:
        chosen = PayoutStatus(status) if status else None
        store = None if store_id is None else resolve_store(uow, store_id).store_id
        rows = [_payout_row(p) for p in service_list(uow, chosen, store)]
        short = {"store_id": short_store_ids(uow)}
    if not as_json:
        for row in rows:
            row["created_at"] = f"{row['created_at']:%Y-%m-%d %H:%M}"
    emit(rows, as_json, "payouts", columns=PAYOUT_COLUMNS, whole={"id", "store_id"}, short=short)


@payouts.command("mark-paid")
@click.argument("payout_id", type=click.IntRange(min=1))
@click.option("--reference", help="The bank's reference of the transfer.")
@json_option
@pass_app
def mark_paid(app: AppContext, payout_id: int, reference: str | None, as_json: bool) -> None:
    """Mark a payout paid once the bank transfer is made.

    Only a pending or exported payout can be marked paid, and only once.
    """
    from coinpos.settlement.payouts import mark_paid as service_mark_paid

    with unit_of_work(app) as uow:
        row = _payout_row(service_mark_paid(uow, payout_id, reference))
    emit([row], as_json, "payout paid", single=True)


@payouts.command()
@click.option(
    "--output",
    "-o",
    type=OUTPUT_FILE,
    default="-",
    show_default=True,
    help="CSV file to write ('-' for stdout).",
)
@pass_app
def export(app: AppContext, output: IO[str]) -> None:
    """Write pending payouts as CSV for the bank transfer, and mark them exported."""
    from coinpos.settlement.payouts import export_payouts

    with unit_of_work(app) as uow:
        count = export_payouts(uow, output)
    click.echo(f"exported {count} payouts", err=True)
