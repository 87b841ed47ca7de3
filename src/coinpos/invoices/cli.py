"""`coinpos invoices create|show`: signed invoices with their EIP-681 URI and QR code."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from coinpos.cli_support import (
    ADDRESS,
    AMOUNT,
    OUTPUT_FOLDER,
    STORE_ID,
    SYMBOL,
    AppContext,
    emit,
    json_option,
    pass_app,
    unit_of_work,
)

if TYPE_CHECKING:
    from coinpos.db.models import Coin, Invoice

DEFAULT_NETWORK = "ethereum:local"


def _cart_line(value: str) -> tuple[str, int]:
    from coinpos.validation import ascii_digits

    sku, sep, quantity = value.partition("=")
    if not sep or not ascii_digits(quantity) or int(quantity) <= 0:
        raise click.BadParameter(f"{value!r} is not SKU=QUANTITY with a positive quantity")
    return sku, int(quantity)


def invoice_row(invoice: Invoice, coin: Coin, items: list[tuple[str, int, int]]) -> dict[str, Any]:
    from coinpos.money import CoinAmount

    return {
        "id": invoice.id,
        "invoice_hash": invoice.invoice_hash,
        "store_id": invoice.store_id,
        "coin": coin.symbol,
        "amount": CoinAmount(invoice.amount, coin.decimals, coin.symbol),
        "amount_base_units": invoice.amount,
        "items": ", ".join(f"{sku} x{quantity}" for sku, quantity, _ in items) or None,
        "payer": invoice.payer,
        "deposit_address": invoice.deposit_address,
        "payment_uri": invoice.payment_uri,
        "qr_png": invoice.qr_png_path,
        "qr_svg": invoice.qr_svg_path,
        "pay_deadline": invoice.pay_deadline,
        "authorization_expiry": invoice.authorization_expiry,
        "refund_deadline": invoice.refund_deadline,
        "fee_bps": f"{invoice.min_fee_bps}..{invoice.max_fee_bps}",
        "chain_id": invoice.chain_id,
        "escrow": invoice.escrow_address,
        "operator_signature": invoice.operator_signature,
        "status": invoice.status,
        "exception_status": invoice.exception_status,
        "amount_paid": CoinAmount(invoice.amount_paid, coin.decimals, coin.symbol),
        "amount_paid_base_units": invoice.amount_paid,
        "created_at": invoice.created_at,
    }


@click.group()
def invoices() -> None:
    """Issue and inspect invoices."""


@invoices.command()
@click.argument("store_id", type=STORE_ID)
@click.argument("coin", type=SYMBOL)
@click.option("--amount", type=AMOUNT, help="Whole coins, e.g. 12.50 (or give --item).")
@click.option("--item", "items", multiple=True, metavar="SKU=QTY", help="A catalogue item.")
@click.option("--payer", type=ADDRESS, help="Only this address may pay (default: anyone).")
@click.option("--terminal", help="The POS terminal code.")
@click.option(
    "--expires-in",
    type=click.IntRange(min=1),
    default=15,
    show_default=True,
    help="Minutes the invoice can be paid.",
)
@click.option(
    "--network",
    default=DEFAULT_NETWORK,
    show_default=True,
    help="ecosystem:network whose deployment artifact names the escrow.",
)
@click.option(
    "--operator", "operator_alias", help="ape account alias (else $COINPOS_OPERATOR_KEY)."
)
@click.option(
    "--out",
    "out_dir",
    type=OUTPUT_FOLDER,
    default=Path("out") / "invoices",
    show_default=True,
    help="Folder for QR images.",
)
@json_option
@pass_app
def create(
    app: AppContext,
    store_id: str,
    coin: str,
    amount: Decimal | None,
    items: tuple[str, ...],
    payer: str | None,
    terminal: str | None,
    expires_in: int,
    network: str,
    operator_alias: str | None,
    out_dir: Path,
    as_json: bool,
) -> None:
    """Create a signed invoice for a store: an amount, or catalogue items (stock is taken)."""
    from datetime import timedelta

    from coinpos.chainops.connect import issuer_for, load_deployment
    from coinpos.invoices.service import CartLine, NewInvoice, invoice_items, issue_invoice
    from coinpos.money import to_base_units
    from coinpos.stores.service import get_coin, get_store

    if (amount is None) == (not items):
        raise click.UsageError("give exactly one of --amount and --item")
    if amount is not None and amount == 0:
        raise click.BadParameter("must be more than zero", param_hint="--amount")
    cart = tuple(CartLine(*_cart_line(item)) for item in items)
    # The store and coin are checked before ape loads the project (the forwarder's code).
    with unit_of_work(app) as uow:
        get_store(uow, store_id)
        get_coin(uow, coin, load_deployment(network).chain_id)
    issuer = issuer_for(network, operator_alias, out_dir)
    with unit_of_work(app) as uow:
        found = get_coin(uow, coin, issuer.domain.chain_id)
        invoice = issue_invoice(
            uow,
            NewInvoice(
                store_id=store_id,
                coin=coin,
                amount=None if amount is None else to_base_units(amount, found.decimals),
                cart=cart,
                payer=payer,
                terminal=terminal,
                pay_window=timedelta(minutes=expires_in),
            ),
            issuer,
        )
        row = invoice_row(invoice, found, invoice_items(uow, invoice))
    emit([row], as_json, "invoice", single=True)


@invoices.command()
@click.argument("invoice")
@json_option
@pass_app
def show(app: AppContext, invoice: str, as_json: bool) -> None:
    """Show an invoice by its hash (0x…) or number."""
    from coinpos.db.models import Coin
    from coinpos.invoices.service import get_invoice, invoice_items

    with unit_of_work(app) as uow:
        found = get_invoice(uow, invoice)
        coin = uow.session.get(Coin, found.coin_id)
        assert coin is not None
        row = invoice_row(found, coin, invoice_items(uow, found))
    emit([row], as_json, "invoice", single=True)
