"""Sweep what arrived at invoices' deposit addresses into the escrow (and capture it).

    ape run sweep --network ethereum:sepolia:node --account operator \\
        0xINVOICE=0xPAYER [0xINVOICE=0xPAYER ...] --key sweep-0001 [--capture-fee-bps 100]

Each INVOICE=PAYER names the invoice and the sender of its deposit as observed. A sweep
may repeat (a later top-up), so it is named by its idempotency key (--key). With
--capture-fee-bps, exact payments are captured in the same call (sweepAndCapture).
Local default account: test account 1 (the operator).
"""

from __future__ import annotations

import click

from scripts._shared import (
    FlowCommand,
    amounts_option,
    clean_errors,
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
@click.argument("deposits", nargs=-1, required=True, metavar="INVOICE=PAYER...")
@click.option("--key", required=True, help="Idempotency key of this sweep.")
@click.option("--capture-fee-bps", type=click.IntRange(0, 10_000),
              help="Also capture exact payments at this fee (sweepAndCapture).")  # fmt: skip
@sender_options
@db_option
@amounts_option
@clean_errors
def cli(ecosystem, network, deposits, key, capture_fee_bps, account, yes, db_url):  # type: ignore[no-untyped-def]
    from coinpos.chainops import operations
    from coinpos.invoices.service import get_invoice
    from coinpos.validation import InvalidInputError, address

    pairs = []
    for deposit in deposits:
        invoice, sep, payer = deposit.partition("=")
        if not sep:
            raise InvalidInputError(f"{deposit!r} is not INVOICE=PAYER")
        pairs.append((invoice, address(payer, "payer")))
    deployment = deployment_of(ecosystem, network)
    with unit_of_work(db_url) as uow:
        hashes = [get_invoice(uow, invoice).invoice_hash for invoice, _ in pairs]
        coins = [invoice_coin(uow, invoice_hash) for invoice_hash in hashes]
        sender = pick_sender(account, network, yes, "sweep", role="operator")
        result = operations.sweep(
            uow, operator_sender(deployment, sender), pairs,
            key=key, capture_fee_bps=capture_fee_bps,
        )  # fmt: skip
        print_send(result, "sweep")
    for invoice_hash, coin in zip(hashes, coins, strict=True):
        show(f"invoice {invoice_hash}", payment_state(deployment, invoice_hash, coin))
