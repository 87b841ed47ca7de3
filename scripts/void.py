"""Void a held, uncaptured payment: the escrow returns it to its payer.

    ape run void --network ethereum:sepolia:node --account operator --invoice 0xHASH

Logged before it is sent, at most once per invoice; see `coinpos ops void`. Local default
account: test account 1 (the operator).
"""

from __future__ import annotations

import click

from scripts._shared import (
    FlowCommand,
    amounts_option,
    clean_errors,
    db_option,
    deployment_of,
    operator_sender,
    pick_sender,
    report_invoice_operation,
    sender_options,
    unit_of_work,
)


@click.command(cls=FlowCommand, help=__doc__)
@click.option("--invoice", "invoice_ref", required=True, help="Invoice hash (0x…) or number.")
@click.option("--key", help="Idempotency key (default: one void per invoice).")
@sender_options
@db_option
@amounts_option
@clean_errors
def cli(ecosystem, network, invoice_ref, key, account, yes, db_url):  # type: ignore[no-untyped-def]
    from coinpos.chainops import operations
    from coinpos.invoices.service import get_invoice

    deployment = deployment_of(ecosystem, network)
    with unit_of_work(db_url) as uow:
        get_invoice(uow, invoice_ref)
        sender = pick_sender(account, network, yes, "void", role="operator")
        result = operations.void(uow, operator_sender(deployment, sender), invoice_ref, key=key)
        report_invoice_operation(uow, deployment, result, "void", invoice_ref)
