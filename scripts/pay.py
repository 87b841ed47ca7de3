"""Pay an invoice as a customer: through the escrow, or by a plain transfer to its deposit
address, from the account itself or from a MultiCoinWallet it owns.

    ape run pay --network ethereum:sepolia:node --account customer --invoice 0xHASH --via deposit
    ape run pay --network ethereum:local:http://127.0.0.1:8545 \\
        --invoice 7 --via escrow --from-wallet 0xWALLET

`--via escrow` calls the escrow's `pay` with the operator's signature stored on the
invoice (from a wallet: `payInvoice`, which approves exactly the amount for that one
call). `--via deposit` transfers to the invoice's deposit address, for the operator to
sweep. Local default account: test account 5 (a customer).
"""

from __future__ import annotations

import click
from ape import project

from coinpos.cli_support import ADDRESS
from scripts._shared import (
    FlowCommand,
    amount_text,
    amounts_option,
    clean_errors,
    db_option,
    deployment_of,
    invoice_coin,
    payment_state,
    pick_sender,
    print_tx,
    sender_options,
    show,
    unit_of_work,
)


@click.command(cls=FlowCommand, help=__doc__)
@click.option("--invoice", "invoice_ref", required=True, help="Invoice hash (0x…) or number.")
@click.option("--via", type=click.Choice(["deposit", "escrow"]), required=True)
@click.option("--from-wallet", "wallet", type=ADDRESS, help="Pay from this MultiCoinWallet.")
@sender_options
@db_option
@amounts_option
@clean_errors
def cli(ecosystem, network, invoice_ref, via, wallet, account, yes, db_url):  # type: ignore[no-untyped-def]
    from coinpos.invoices.paying import Route, pay, payable
    from coinpos.validation import InvalidInputError

    deployment = deployment_of(ecosystem, network)
    with unit_of_work(db_url) as uow:
        sender = pick_sender(account, network, yes, f"pay invoice {invoice_ref}", role="customer")
        bill = payable(uow, invoice_ref, wallet or str(sender.address))
        coin = invoice_coin(uow, bill.invoice_hash)
    if bill.escrow != deployment.address("PaymentEscrow"):
        raise InvalidInputError(f"invoice {bill.invoice_hash} is payable at another escrow")
    for receipt in pay(project, sender, bill, Route(via), wallet):
        print_tx(str(receipt.txn_hash), "pay")
    state = payment_state(deployment, bill.invoice_hash, coin)
    show(
        f"invoice {bill.invoice_hash}",
        {"paid": amount_text(bill.amount, coin), "via": via, "from": wallet or sender.address}
        | ({"deposit address": bill.deposit} if via == "deposit" else {})
        | state,
    )
