"""`coinpos ops capture|void|refund|sweep|bump`: the operator's escrow calls.

Each command logs its request (with an idempotency key) before sending it, so running
it again never repeats the on-chain effect. The network is ape's `--network` choice; the
escrow comes from that network's deployment artifact.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import click

from coinpos.cli_support import AMOUNT, AppContext, emit, json_option, pass_app, unit_of_work

if TYPE_CHECKING:
    from coinpos.chainops.sender import SendResult

F = TypeVar("F", bound=Callable[..., Any])


def chain_options(func: F) -> F:
    func = click.option(
        "--operator", "operator_alias", help="ape account alias (else $COINPOS_OPERATOR_KEY)."
    )(func)
    return click.option(
        "--network",
        required=True,
        help="ape network choice, e.g. ethereum:local:node or ethereum:sepolia:node.",
    )(func)


def _row(result: SendResult) -> dict[str, Any]:
    return {
        "key": result.key,
        "status": result.status,
        "tx_hash": result.tx_hash,
        "sent_now": ", ".join(result.broadcast) or "(nothing: already done or sent)",
        "failure_reason": result.failure_reason,
    }


def _units(app: AppContext, invoice: str, amount: Decimal | None) -> int | None:
    if amount is None:
        return None
    if amount == 0:
        raise click.BadParameter("must be more than zero", param_hint="--amount")
    from coinpos.db.models import Coin
    from coinpos.invoices.service import get_invoice
    from coinpos.money import to_base_units

    with unit_of_work(app) as uow:
        found = get_invoice(uow, invoice)
        coin = uow.session.get(Coin, found.coin_id)
        assert coin is not None
        return to_base_units(amount, coin.decimals)


def _run(
    app: AppContext,
    network: str,
    operator_alias: str | None,
    call: Any,
    as_json: bool,
    invoices: tuple[str, ...] = (),
) -> None:
    """Checks the database and the invoices named before it connects to the network."""
    from coinpos.chainops.connect import connect
    from coinpos.invoices.service import get_invoice

    with unit_of_work(app) as uow:
        for ref in invoices:
            get_invoice(uow, ref)
        with connect(network, operator_alias) as connection:
            result = call(uow, connection.sender)
    emit([_row(result)], as_json, "request", single=True)
    if result.failure_reason and result.status.value == "failed":
        raise click.exceptions.Exit(1)


@click.group()
def ops() -> None:
    """Operator calls on the escrow: logged first, sent once."""


@ops.command()
@click.argument("invoice")
@click.option("--amount", type=AMOUNT, help="Whole coins to capture (default: the invoice amount).")
@click.option("--fee-bps", type=click.IntRange(0, 10_000), help="Fee within the invoice bounds.")
@click.option("--key", help="Idempotency key (default: one capture per invoice).")
@click.option("--gas-limit", type=click.IntRange(min=21_000), help="Gas limit (default: estimate).")
@chain_options
@json_option
@pass_app
def capture(
    app: AppContext,
    invoice: str,
    amount: Decimal | None,
    fee_bps: int | None,
    key: str | None,
    gas_limit: int | None,
    network: str,
    operator_alias: str | None,
    as_json: bool,
) -> None:
    """Capture a held payment into the store's balance."""
    from coinpos.chainops import operations

    units = _units(app, invoice, amount)
    _run(
        app,
        network,
        operator_alias,
        lambda uow, sender: operations.capture(
            uow, sender, invoice, amount=units, fee_bps=fee_bps, key=key, gas_limit=gas_limit
        ),
        as_json,
        (invoice,),
    )


@ops.command("capture-many")
@click.argument("invoice_refs", nargs=-1, required=True, metavar="INVOICE...")
@click.option(
    "--fee-bps", type=click.IntRange(0, 10_000), help="Fee within every invoice's bounds."
)
@click.option("--key", required=True, help="Idempotency key of this batch.")
@chain_options
@json_option
@pass_app
def capture_many(
    app: AppContext,
    invoice_refs: tuple[str, ...],
    fee_bps: int | None,
    key: str,
    network: str,
    operator_alias: str | None,
    as_json: bool,
) -> None:
    """Capture the full amount of several held payments of one store in one transaction."""
    from coinpos.chainops import operations

    _run(
        app,
        network,
        operator_alias,
        lambda uow, sender: operations.capture_many(
            uow, sender, list(invoice_refs), fee_bps=fee_bps, key=key
        ),
        as_json,
        invoice_refs,
    )


@ops.command()
@click.argument("invoice")
@click.option("--key", help="Idempotency key (default: one void per invoice).")
@chain_options
@json_option
@pass_app
def void(
    app: AppContext,
    invoice: str,
    key: str | None,
    network: str,
    operator_alias: str | None,
    as_json: bool,
) -> None:
    """Return a held, uncaptured payment to its payer."""
    from coinpos.chainops import operations

    _run(
        app,
        network,
        operator_alias,
        lambda uow, sender: operations.void(uow, sender, invoice, key=key),
        as_json,
        (invoice,),
    )


@ops.command()
@click.argument("invoice")
@click.option("--amount", type=AMOUNT, required=True, help="Whole coins to refund.")
@click.option("--key", required=True, help="Idempotency key of this refund.")
@chain_options
@json_option
@pass_app
def refund(
    app: AppContext,
    invoice: str,
    amount: Decimal,
    key: str,
    network: str,
    operator_alias: str | None,
    as_json: bool,
) -> None:
    """Refund part or all of a captured payment to its payer."""
    from coinpos.chainops import operations

    units = _units(app, invoice, amount)
    assert units is not None
    _run(
        app,
        network,
        operator_alias,
        lambda uow, sender: operations.refund(uow, sender, invoice, units, key=key),
        as_json,
        (invoice,),
    )


@ops.command()
@click.argument("deposits", nargs=-1, required=True, metavar="INVOICE=PAYER...")
@click.option("--key", required=True, help="Idempotency key of this sweep.")
@click.option(
    "--capture-fee-bps",
    type=click.IntRange(0, 10_000),
    help="Also capture exact payments at this fee (sweepAndCapture).",
)
@chain_options
@json_option
@pass_app
def sweep(
    app: AppContext,
    deposits: tuple[str, ...],
    key: str,
    capture_fee_bps: int | None,
    network: str,
    operator_alias: str | None,
    as_json: bool,
) -> None:
    """Sweep deposit addresses into the escrow (each INVOICE=PAYER as observed)."""
    from coinpos.chainops import operations
    from coinpos.validation import address

    pairs = []
    for deposit in deposits:
        invoice, sep, payer = deposit.partition("=")
        if not sep:
            raise click.BadParameter(f"{deposit!r} is not INVOICE=PAYER")
        pairs.append((invoice, address(payer, "payer")))
    _run(
        app,
        network,
        operator_alias,
        lambda uow, sender: operations.sweep(
            uow, sender, pairs, key=key, capture_fee_bps=capture_fee_bps
        ),
        as_json,
        tuple(invoice for invoice, _ in pairs),
    )


@ops.command()
@click.argument("key")
@click.option(
    "--percent",
    type=click.IntRange(111, 1000),
    default=125,
    show_default=True,
    help="New fees as a percentage of the old (over 110: nodes want 10% more).",
)
@chain_options
@json_option
@pass_app
def bump(
    app: AppContext,
    key: str,
    percent: int,
    network: str,
    operator_alias: str | None,
    as_json: bool,
) -> None:
    """Replace a request's pending transaction with higher fees (same nonce)."""
    _run(
        app,
        network,
        operator_alias,
        lambda uow, sender: sender.bump_fee(uow, key, percent),
        as_json,
    )
