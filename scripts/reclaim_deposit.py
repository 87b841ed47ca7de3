"""Take back, as the invoice's named payer, what sits unswept at its deposit address.

    ape run reclaim_deposit --network ethereum:sepolia:node --account customer --invoice 0xHASH

The payer's exit when the operator never sweeps (gone, paused, malicious): at or after the
invoice's authorization expiry, the escrow's `reclaimDeposit(invoice)` sends the address's
token (and any ETH there) straight back to the payer the invoice names, with no operator,
even while the escrow is paused. Open invoices (no named payer) have no such exit (see
docs/SECURITY.md). Local default account: test account 5 (a customer).
"""

from __future__ import annotations

import click

from scripts._shared import (
    FlowCommand,
    amounts_option,
    clean_errors,
    contract,
    db_option,
    deployment_of,
    pick_sender,
    print_tx,
    sender_options,
    show,
    unit_of_work,
)


@click.command(cls=FlowCommand, help=__doc__)
@click.option("--invoice", "invoice_ref", required=True, help="Invoice hash (0x…) or number.")
@sender_options
@db_option
@amounts_option
@clean_errors
def cli(ecosystem, network, invoice_ref, account, yes, db_url):  # type: ignore[no-untyped-def]
    from coinpos.db.models import Coin
    from coinpos.invoices.service import get_invoice, terms_of
    from coinpos.validation import InvalidInputError

    deployment = deployment_of(ecosystem, network)
    with unit_of_work(db_url) as uow:
        invoice = get_invoice(uow, invoice_ref)
        coin = uow.session.get(Coin, invoice.coin_id)
        terms = terms_of(invoice, coin)
        if invoice.payer is None:
            raise InvalidInputError(
                f"invoice {invoice.invoice_hash} names no payer: only the operator's sweep "
                "can return an open invoice's deposit"
            )
        sender = pick_sender(account, network, yes, f"reclaim {invoice_ref}", role="customer")
        if str(sender.address).lower() != invoice.payer.lower():
            raise InvalidInputError(f"only the invoice's payer {invoice.payer} can reclaim it")
    escrow = contract(deployment, "PaymentEscrow")
    receipt = escrow.reclaimDeposit(terms.abi(), sender=sender)
    print_tx(str(receipt.txn_hash), "reclaim")
    show(f"invoice {invoice.invoice_hash}", {"reclaimed by": sender.address})
