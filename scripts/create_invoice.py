"""Issue an invoice signed by the exchange's operator, with its EIP-681 URI and QR code.

    ape run create_invoice --network ethereum:sepolia:node --account operator \\
        --store 0xSTORE --coin CPE --amount 12.50
    ape run create_invoice --network ethereum:local:http://127.0.0.1:8545 \\
        --store 0xSTORE --coin CPE --item LATTE=2 --item CAKE=1 --terminal POS-1

The terms are signed with EIP-712 (the operator's signature is stored on the invoice, for
a direct escrow payment). The URI asks for a plain transfer to the invoice's deposit
address; it and the QR images land in `out/invoices/<invoice hash>.uri|png|svg`. Nothing
is sent. Local default account: test account 1 (the operator).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from ape import project

from coinpos.cli_support import ADDRESS, AMOUNT, STORE, SYMBOL
from scripts._shared import (
    FlowCommand,
    amount_text,
    amounts_option,
    clean_errors,
    console,
    db_option,
    deployment_of,
    pick_sender,
    register_coins,
    sender_options,
    show,
    unit_of_work,
)


def _cart_line(value: str) -> tuple[str, int]:
    sku, sep, quantity = value.partition("=")
    if not sep or not quantity.isdigit() or int(quantity) <= 0:
        raise click.BadParameter(f"{value!r} is not SKU=QUANTITY with a positive quantity")
    return sku, int(quantity)


@click.command(cls=FlowCommand, help=__doc__)
@click.option(
    "--store",
    "store_id",
    type=STORE,
    required=True,
    help="The store: its bytes32 id, a unique prefix of it, or its name.",
)
@click.option("--coin", type=SYMBOL, required=True, help="The coin to pay in, e.g. CPE or ETH.")
@click.option("--amount", type=AMOUNT, help="Whole coins, e.g. 12.50 (or give --item).")
@click.option("--item", "items", multiple=True, metavar="SKU=QTY", help="A catalogue item.")
@click.option("--payer", type=ADDRESS, help="Only this address may pay (default: anyone).")
@click.option("--terminal", help="The POS terminal's code.")
@click.option("--expires-in", type=click.IntRange(min=1), default=15, show_default=True,
              help="Minutes the invoice can be paid.")  # fmt: skip
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("out") / "invoices", show_default=True)  # fmt: skip
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
    items,
    payer,
    terminal,
    expires_in,
    out_dir,
    account,
    yes,
    db_url,
):  # type: ignore[no-untyped-def]
    from coinpos.chainops.escrow import forwarder_code
    from coinpos.chainops.keys import ApeAccountKey
    from coinpos.invoices.service import CartLine, Issuer, NewInvoice, issue_invoice
    from coinpos.invoices.terms import EscrowDomain
    from coinpos.money import to_base_units
    from coinpos.stores.service import get_coin, resolve_store
    from coinpos.validation import InvalidInputError

    if (amount is None) == (not items):
        raise InvalidInputError("give exactly one of --amount and --item")
    if amount is not None and amount == 0:
        raise InvalidInputError("amount must be more than zero")
    cart = tuple(CartLine(*_cart_line(item)) for item in items)
    deployment = deployment_of(ecosystem, network)
    with unit_of_work(db_url) as uow:
        register_coins(uow, deployment)
        store_id = resolve_store(uow, store_id).store_id
        found = get_coin(uow, coin, deployment.chain_id)
        units = None if amount is None else to_base_units(amount, found.decimals)
        sender = pick_sender(account, network, yes, "sign an invoice", role="operator")
        issuer = Issuer(
            EscrowDomain(deployment.chain_id, deployment.address("PaymentEscrow")),
            forwarder_code(project),
            ApeAccountKey(sender),
            out_dir,
        )
        request = NewInvoice(
            store_id=store_id,
            coin=coin,
            amount=units,
            cart=cart,
            payer=payer,
            terminal=terminal,
            pay_window=timedelta(minutes=expires_in),
        )
        invoice = issue_invoice(uow, request, issuer)
        uri_file = out_dir / f"{invoice.invoice_hash}.uri"
        uri_file.write_text(invoice.payment_uri + "\n")
        shown = {
            "invoice": invoice.invoice_hash,
            "number": invoice.id,
            "store": invoice.store_id,
            "amount": amount_text(invoice.amount, found),
            "deposit address": invoice.deposit_address,
            "pay by": invoice.pay_deadline.isoformat(),
            "qr": f"{invoice.qr_png_path}, {invoice.qr_svg_path}",
        }
        uri = invoice.payment_uri
    show("invoice issued", shown)
    console.print(f"invoice: {shown['invoice']}")
    console.print(f"deposit address: {shown['deposit address']}")
    console.print(f"payment URI: {uri}")
    console.print(f"written: {uri_file}")
