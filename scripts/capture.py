"""Capture a held payment into the escrow's captured pool (no fee on chain: the ledger credits
the store less its fee rate when the capture is confirmed).

    ape run capture --network ethereum:sepolia:node --account operator --invoice 0xHASH
    ape run capture --network ethereum:local:http://127.0.0.1:8545 \\
        --invoice 7 --amount 10.00

Logged before it is sent, at most once per invoice (the key defaults to the invoice hash);
see `coinpos ops capture`. Local default account: test account 1 (the operator).
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
@click.option("--amount", type=AMOUNT, help="Whole coins to capture (default: the invoice's).")
@click.option("--key", help="Idempotency key (default: one capture per invoice).")
@sender_options
@db_option
@amounts_option
@clean_errors
def cli(ecosystem, network, invoice_ref, amount, key, account, yes, db_url):  # type: ignore[no-untyped-def]
    from coinpos.chainops import operations

    deployment = deployment_of(ecosystem, network)
    with unit_of_work(db_url) as uow:
        units = invoice_units(uow, invoice_ref, amount)
        sender = pick_sender(account, network, yes, "capture", role="operator")
        result = operations.capture(
            uow, operator_sender(deployment, sender), invoice_ref,
            amount=units, key=key,
        )  # fmt: skip
        report_invoice_operation(uow, deployment, result, "capture", invoice_ref)
