"""Sweep what arrived at invoices' deposit addresses into the escrow (and capture it).

    ape run sweep --network ethereum:sepolia:node --account operator \\
        0xINVOICE [0xINVOICE ...] --key sweep-0001 [--capture]

Per invoice, the sweep attests every transfer the tracker recorded at its address (sender,
amount, transaction hash, log index; run `coinpos track` first) that no earlier sweep gave a
fate; the escrow emits one DepositKept or DepositReturned per transfer, so the attestation is
checkable on chain. An address holding more than its recorded transfers (seen only as a
balance change) cannot be attested: it is skipped and said. A sweep may repeat (a later
top-up), so it is named by its idempotency key (--key). With --capture, exact payments are
captured in the same call (no fee on chain). Local default account: test account 1.
"""

from __future__ import annotations

import click

from scripts._shared import (
    FlowCommand,
    amounts_option,
    clean_errors,
    console,
    db_option,
    deployment_of,
    invoice_coin,
    operator_sender,
    payment_state,
    pick_sender,
    print_send,
    sender_options,
    show,
    unit_of_work,
)


@click.command(cls=FlowCommand, help=__doc__)
@click.argument("invoices", nargs=-1, required=True, metavar="INVOICE...")
@click.option("--key", required=True, help="Idempotency key of this sweep.")
@click.option("--capture", is_flag=True, help="Also capture exact payments in the same call.")
@sender_options
@db_option
@amounts_option
@clean_errors
def cli(ecosystem, network, invoices, key, capture, account, yes, db_url):  # type: ignore[no-untyped-def]
    from coinpos.chainops import operations
    from coinpos.invoices.service import get_invoice

    deployment = deployment_of(ecosystem, network)
    with unit_of_work(db_url) as uow:
        hashes = [get_invoice(uow, invoice).invoice_hash for invoice in invoices]
        coins = [invoice_coin(uow, invoice_hash) for invoice_hash in hashes]
        sender = pick_sender(account, network, yes, "sweep", role="operator")
        outcome = operations.sweep(
            uow, operator_sender(deployment, sender), hashes, key=key, capture=capture
        )
        for invoice_hash, reason in outcome.plan.skipped:
            console.print(f"skipped {invoice_hash}: {reason}")
        for deposit in outcome.plan.deposits:
            console.print(
                f"attested {len(deposit.transfers)} transfer(s) to "
                f"{deposit.target.invoice.invoice_hash}"
            )
        if outcome.result is None:
            console.print("nothing sent: no deposit could be attested")
        else:
            print_send(outcome.result, "sweep")
    for invoice_hash, coin in zip(hashes, coins, strict=True):
        show(f"invoice {invoice_hash}", payment_state(deployment, invoice_hash, coin))
