"""Settle part or all of a store's captured balance into fiat, at the rate of the moment.

    ape run settle --network ethereum:sepolia:node --account operator \\
        --store 0xSTORE --coin ETH --amount 0.01 --key settle-2024-001
    ape run settle --network ethereum:local:http://127.0.0.1:8545 \\
        --store 0xSTORE --coin CPE --all --key s-2

The escrow's captured pool of the coin is checked to cover it first; the rate is locked, the
settlement and its payout recorded (the amount reserved), then a settlement run sends every
requested settlement of every store, one `settle(token, payout, fees, reference)` per coin,
under a reference that commits to the batch and names no store (see `coinpos settle
request|send`). Only captures the tracker confirmed count. Local default account: test
account 1 (the operator).
"""

from __future__ import annotations

from datetime import timedelta

import click

from coinpos.cli_support import AMOUNT, STORE, SYMBOL
from scripts._shared import (
    Denomination,
    FlowCommand,
    amount_text,
    amounts_option,
    clean_errors,
    console,
    contract,
    db_option,
    deployment_of,
    operator_sender,
    pick_sender,
    print_tx,
    sender_options,
    show,
    unit_of_work,
)


@click.command(cls=FlowCommand, help=__doc__)
@click.option(
    "--store",
    "store_id",
    type=STORE,
    required=True,
    help="The store: its bytes32 id, a unique prefix of it, or its name.",
)
@click.option("--coin", type=SYMBOL, required=True, help="The coin to settle, e.g. ETH or CPE.")
@click.option("--amount", type=AMOUNT, help="Whole coins to settle, e.g. 12.50.")
@click.option("--all", "settle_all", is_flag=True, help="Settle the whole confirmed balance.")
@click.option("--key", required=True, help="Idempotency key; a repeated key is refused.")
@click.option("--fee-bps", type=click.IntRange(0, 10_000), default=100, show_default=True)
@click.option("--max-rate-age", type=click.IntRange(min=1), default=3600, show_default=True,
              help="Refuse a rate older than this many seconds.")  # fmt: skip
@sender_options
@db_option
@amounts_option
@clean_errors
def cli(
    ecosystem,
    network,
    store_id,
    coin,
    amount,
    settle_all,
    key,
    fee_bps,
    max_rate_age,
    account,
    yes,
    db_url,
):  # type: ignore[no-untyped-def]
    from coinpos.chainops.settlement import EscrowSettlementExecutor, request_checked
    from coinpos.invoices.service import token_of
    from coinpos.money import to_base_units
    from coinpos.settlement.batches import run_settlements
    from coinpos.settlement.service import SettlementRequest
    from coinpos.stores.service import get_coin, resolve_store
    from coinpos.validation import InvalidInputError

    if (amount is not None) == settle_all:
        raise InvalidInputError("give exactly one of --amount and --all")
    if amount is not None and amount == 0:
        raise InvalidInputError("amount must be more than zero")
    deployment = deployment_of(ecosystem, network)
    with unit_of_work(db_url) as uow:
        store_id = resolve_store(uow, store_id).store_id
        found = get_coin(uow, coin, deployment.chain_id)
        wanted = SettlementRequest(
            store_id=store_id,
            coin=coin,
            idempotency_key=key,
            amount=None if amount is None else to_base_units(amount, found.decimals),
            fee_bps=fee_bps,
            max_rate_age=timedelta(seconds=max_rate_age),
            chain_id=deployment.chain_id,
        )
        sender = pick_sender(account, network, yes, "settle", role="operator")
        operator = operator_sender(deployment, sender)
        settlement = request_checked(uow, wanted, operator.escrow)
        reference = settlement.reference
        runs = run_settlements(uow, EscrowSettlementExecutor(operator))
        uow.session.refresh(settlement)
        batch = settlement.batch
        shown = {
            "settlement": reference,
            "settled": amount_text(settlement.amount, found),
            "rate": f"{settlement.rate} {settlement.fiat}",
            "gross / fee / net": f"{settlement.gross_fiat} / {settlement.fee_fiat} / "
            f"{settlement.net_fiat} {settlement.fiat}",
            "status": settlement.status.value,
            "batch reference": None if batch is None else batch.reference,
            "tx": None if batch is None else batch.log_entry.tx_hash,
        }
        errors = [r.error for r in runs if r.error]
        token = token_of(found)
        denomination = Denomination.of(found)
    if shown["tx"]:
        print_tx(str(shown["tx"]), "settle")
    escrow = contract(deployment, "PaymentEscrow")
    shown["escrow captured pool"] = amount_text(escrow.pool(token)[1], denomination)
    show("settlement", shown)
    for error in errors:
        console.print(f"not sent: {error}; `coinpos settle send` retries it")
