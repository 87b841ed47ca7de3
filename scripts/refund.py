"""Refund part or all of a captured payment from the store's balance to its payer.

    ape run refund --network ethereum:sepolia:node --account operator \\
        --invoice 0xHASH --amount 2.50 --key refund-2024-001

Refunds may repeat, so each is named by its idempotency key (--key); the same key again
sends nothing. Local default account: test account 1 (the operator).
"""

from __future__ import annotations

import click

from coinpos.cli_support import AMOUNT
from scripts._shared import (
    FlowCommand,
    amounts_option,
    clean_errors,
    db_option,
    deployment_of,
    invoice_units,
    operator_sender,
    pick_sender,
    report_invoice_operation,
    sender_options,
    unit_of_work,
)


@click.command(cls=FlowCommand, help=__doc__)
@click.option("--invoice", "invoice_ref", required=True, help="Invoice hash (0x…) or number.")
@click.option("--amount", type=AMOUNT, required=True, help="Whole coins to refund.")
@click.option("--key", required=True, help="Idempotency key of this refund.")
@sender_options
@db_option
@amounts_option
@clean_errors
def cli(ecosystem, network, invoice_ref, amount, key, account, yes, db_url):  # type: ignore[no-untyped-def]
    from coinpos.chainops import operations

    deployment = deployment_of(ecosystem, network)
    with unit_of_work(db_url) as uow:
        units = invoice_units(uow, invoice_ref, amount)
        sender = pick_sender(account, network, yes, "refund", role="operator")
        result = operations.refund(
            uow, operator_sender(deployment, sender), invoice_ref, units, key=key
        )
        report_invoice_operation(uow, deployment, result, "refund", invoice_ref)
