"""`coinpos invoices create|list|show|prove`: signed invoices with their EIP-681 URI and QR
code, found by store, terminal, status and age, followed live until they are final, and
proved to be a store's (the store salt revealed, the commitment recomputed)."""

from __future__ import annotations

import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from coinpos.cli_support import (
    ADDRESS,
    AMOUNT,
    MOMENT,
    OUTPUT_FOLDER,
    STORE,
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
        "fee_bps": invoice.fee_bps,
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
@click.argument("store", type=STORE)
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
    help="ape network choice (ecosystem:network[:provider]); its artifact names the escrow, "
    "and the node must have the artifact's chain id.",
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
    store: str,
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
    """Create a signed invoice for a store: an amount, or catalogue items (stock is taken).

    STORE is the store's id, a unique prefix of it, or its name.
    """
    from datetime import timedelta

    from coinpos.chainops.connect import connect, issuer_for, load_deployment
    from coinpos.invoices.service import CartLine, NewInvoice, invoice_items, issue_invoice
    from coinpos.money import to_base_units
    from coinpos.stores.service import get_coin, resolve_store

    if (amount is None) == (not items):
        raise click.UsageError("give exactly one of --amount and --item")
    if amount is not None and amount == 0:
        raise click.BadParameter("must be more than zero", param_hint="--amount")
    cart = tuple(CartLine(*_cart_line(item)) for item in items)
    # The store and coin are checked before ape loads the project (the forwarder's code).
    with unit_of_work(app) as uow:
        store_id = resolve_store(uow, store).store_id
        get_coin(uow, coin, load_deployment(network).chain_id)
    with connect(network, operator_alias) as connection, unit_of_work(app) as uow:
        issuer = issuer_for(connection, out_dir)
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


# The table shows the exception status (PaidPartial…) under the status, to fit 80 columns.
LIST_COLUMNS = ("id", "store_id", "terminal", "amount", "status", "created")
STATUSES = ("New", "Processing", "Settled", "Expired", "Invalid")


@invoices.command("list")
@click.option("--store", type=STORE, help="Only this store (its id, an id prefix, or its name).")
@click.option("--terminal", help="Only this terminal code (needs --store).")
@click.option(
    "--status", type=click.Choice(STATUSES, case_sensitive=False), help="Only this status."
)
@click.option(
    "--since",
    type=MOMENT,
    help="Only invoices created from this date (UTC) or ISO 8601 time with a zone.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="At most this many, newest first.",
)
@json_option
@pass_app
def list_(
    app: AppContext,
    store: str | None,
    terminal: str | None,
    status: str | None,
    since: datetime | None,
    limit: int,
    as_json: bool,
) -> None:
    """List invoices, newest first, with the filters given."""
    from coinpos.db.models import InvoiceStatus
    from coinpos.invoices.listing import InvoiceQuery, list_invoices
    from coinpos.money import CoinAmount
    from coinpos.stores.service import resolve_store, short_store_ids

    with unit_of_work(app) as uow:
        query = InvoiceQuery(
            store_id=None if store is None else resolve_store(uow, store).store_id,
            terminal=terminal,
            status=InvoiceStatus(status) if status else None,
            since=since,
            limit=limit,
        )
        rows = [
            {
                "id": found.invoice.id,
                "invoice_hash": found.invoice.invoice_hash,
                "store_id": found.invoice.store_id,
                "store_name": found.store_name,
                "terminal": found.terminal_code,
                "amount": CoinAmount(found.invoice.amount, found.coin.decimals, found.coin.symbol),
                "coin": found.coin.symbol,
                "status": found.invoice.status,
                "exception": found.invoice.exception_status,
                "amount_paid": CoinAmount(
                    found.invoice.amount_paid, found.coin.decimals, found.coin.symbol
                ),
                "created": found.invoice.created_at,
            }
            for found in list_invoices(uow, query)
        ]
        short = {"store_id": short_store_ids(uow)}
    if not as_json:
        for row in rows:
            row["created"] = f"{row['created']:%Y-%m-%d %H:%M}"
            if row["exception"] is not None:
                row["status"] = f"{row['status']} {row['exception']}"
    emit(rows, as_json, "invoices", columns=LIST_COLUMNS, whole={"id", "store_id"}, short=short)


@invoices.command()
@click.argument("invoice")
@click.option("--watch", is_flag=True, help="Follow the status live until it is final.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="With --watch: seconds between two reads of the database.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=1800.0,
    show_default=True,
    help="With --watch: give up after this many seconds (exit code 1).",
)
@json_option
@pass_app
def show(
    app: AppContext, invoice: str, watch: bool, interval: float, timeout: float, as_json: bool
) -> None:
    """Show an invoice by its hash (0x…) or number.

    With --watch, print one line per status change until it is Settled, Expired or Invalid
    (exit code 0), or until the timeout (exit code 1).
    """
    from coinpos.db.models import Coin
    from coinpos.invoices.service import get_invoice, invoice_items

    if watch:
        if as_json:
            raise click.UsageError("--watch prints a line per change; it has no --json")
        _watch(app, invoice, interval, timeout)
        return
    with unit_of_work(app) as uow:
        found = get_invoice(uow, invoice)
        coin = uow.session.get(Coin, found.coin_id)
        assert coin is not None
        row = invoice_row(found, coin, invoice_items(uow, found))
    emit([row], as_json, "invoice", single=True)


@invoices.command()
@click.argument("invoice")
@json_option
@pass_app
def prove(app: AppContext, invoice: str, as_json: bool) -> None:
    """Prove that INVOICE (its hash or number) is its store's, for staff to show the store.

    Prints the store id, the invoice's store salt, storeCommitment =
    keccak256(abi.encode(storeId, salt)) and the invoice hash recomputed from the terms: the
    commitment is what the signed terms carry, the hash is the escrow's key of the payment.
    The salt proves this one invoice only; exit code 1 if the recomputed hash differs.
    """
    from coinpos.invoices.proof import prove_invoice

    with unit_of_work(app) as uow:
        proof = prove_invoice(uow, invoice)
    row = {
        "invoice_hash": proof.invoice_hash,
        "store_id": proof.store_id,
        "store_salt": proof.store_salt,
        "store_commitment": proof.store_commitment,
        "recomputed_hash": proof.recomputed_hash,
        "valid": proof.valid,
    }
    emit([row], as_json, "invoice proof", single=True)
    if not proof.valid:
        sys.exit(1)


def _watch(app: AppContext, ref: str, interval: float, timeout: float) -> None:
    from coinpos.db.models import Coin
    from coinpos.db.types import utcnow
    from coinpos.invoices.service import get_invoice
    from coinpos.invoices.watching import WatchTimeoutError, follow_invoice
    from coinpos.money import format_amount

    with unit_of_work(app) as uow:
        invoice = get_invoice(uow, ref)
        coin = uow.session.get(Coin, invoice.coin_id)
        assert coin is not None
        symbol, decimals, amount = coin.symbol, coin.decimals, invoice.amount
        label = f"invoice {invoice.id}"
        try:
            for state in follow_invoice(uow, str(invoice.id), interval, timeout):
                paid = format_amount(state.amount_paid, decimals, symbol)
                exception = f" {state.exception_status}" if state.exception_status else ""
                click.echo(
                    f"{utcnow():%Y-%m-%d %H:%M:%S}Z {label} {state.status}{exception} "
                    f"paid {paid} of {format_amount(amount, decimals, symbol)}"
                )
        except WatchTimeoutError as exc:
            click.echo(f"timeout: {exc}", err=True)
            sys.exit(1)
