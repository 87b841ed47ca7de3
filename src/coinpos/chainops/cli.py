"""`coinpos ops capture|capture-many|void|refund|sweep|recover|bump`: the operator's escrow
calls. No fee goes on chain: the ledger applies each invoice's fee rate when a capture is
confirmed.

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
@click.option("--key", help="Idempotency key (default: one capture per invoice).")
@click.option("--gas-limit", type=click.IntRange(min=21_000), help="Gas limit (default: estimate).")
@chain_options
@json_option
@pass_app
def capture(
    app: AppContext,
    invoice: str,
    amount: Decimal | None,
    key: str | None,
    gas_limit: int | None,
    network: str,
    operator_alias: str | None,
    as_json: bool,
) -> None:
    """Capture a held payment into the escrow's captured pool (the store's balance is
    credited, less its fee, when the capture is confirmed)."""
    from coinpos.chainops import operations

    units = _units(app, invoice, amount)
    _run(
        app,
        network,
        operator_alias,
        lambda uow, sender: operations.capture(
            uow, sender, invoice, amount=units, key=key, gas_limit=gas_limit
        ),
        as_json,
        (invoice,),
    )


@ops.command("capture-many")
@click.argument("invoice_refs", nargs=-1, required=True, metavar="INVOICE...")
@click.option("--key", required=True, help="Idempotency key of this batch.")
@chain_options
@json_option
@pass_app
def capture_many(
    app: AppContext,
    invoice_refs: tuple[str, ...],
    key: str,
    network: str,
    operator_alias: str | None,
    as_json: bool,
) -> None:
    """Capture the full amount of several held payments (of any stores) in one transaction."""
    from coinpos.chainops import operations

    _run(
        app,
        network,
        operator_alias,
        lambda uow, sender: operations.capture_many(uow, sender, list(invoice_refs), key=key),
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
@click.argument("invoice_refs", nargs=-1, metavar="[INVOICE...]")
@click.option(
    "--all",
    "sweep_all",
    is_flag=True,
    help="Every invoice with recorded deposits the ledger has no fate for yet.",
)
@click.option("--key", required=True, help="Idempotency key of this sweep.")
@click.option(
    "--capture",
    is_flag=True,
    help="Also capture exact payments in the same call. The exchange's fee is each invoice's "
    "fee_bps, taken in the ledger when the capture confirms; the escrow takes none.",
)
@chain_options
@json_option
@pass_app
def sweep(
    app: AppContext,
    invoice_refs: tuple[str, ...],
    sweep_all: bool,
    key: str,
    capture: bool,
    network: str,
    operator_alias: str | None,
    as_json: bool,
) -> None:
    """Sweep deposit addresses into the escrow, attesting each transfer the tracker recorded.

    Per invoice, the sweep carries every transfer seen at its address (sender, amount,
    transaction hash, log index) that no earlier sweep gave a fate; the escrow emits one
    DepositKept or DepositReturned per transfer. An address holding more than its recorded
    transfers (ETH seen only as a balance change) cannot be attested: it is skipped and said.
    """
    from coinpos.chainops import operations
    from coinpos.chainops.connect import connect
    from coinpos.invoices.service import get_invoice

    if bool(invoice_refs) == sweep_all:
        raise click.UsageError("give invoices or --all, not both or neither")
    with unit_of_work(app) as uow:
        for ref in invoice_refs:
            get_invoice(uow, ref)
        with connect(network, operator_alias) as connection:
            refs = list(invoice_refs) or operations.unswept_invoices(
                uow, connection.sender.escrow.address
            )
            if not refs:
                outcome = None
            else:
                outcome = operations.sweep(uow, connection.sender, refs, key=key, capture=capture)
    skipped = [] if outcome is None else list(outcome.plan.skipped)
    for invoice_hash, reason in skipped:
        click.echo(f"skipped {invoice_hash}: {reason}", err=True)
    if outcome is None or outcome.result is None:
        row: dict[str, Any] = {
            "key": f"sweep:{key}",
            "status": "nothing to sweep",
            "tx_hash": None,
            "sent_now": "(nothing: no deposit could be attested)",
            "failure_reason": None,
        }
    else:
        row = _row(outcome.result)
    if outcome is not None:
        row["deposits"] = [
            {
                "invoice_hash": d.target.invoice.invoice_hash,
                "transfers": len(d.transfers),
                "amount": sum(t.amount for t in d.transfers),
                "eth_transfers": len(d.eth_transfers),
            }
            for d in outcome.plan.deposits
        ]
        row["skipped"] = [{"invoice_hash": h, "reason": r} for h, r in skipped]
    if not as_json:
        row["deposits"] = len(row.get("deposits", []))
        row["skipped"] = len(skipped)
    emit([row], as_json, "sweep", single=True)
    result = None if outcome is None else outcome.result
    if result is not None and result.failure_reason and result.status.value == "failed":
        raise click.exceptions.Exit(1)


def _transfer(value: str) -> Any:
    from coinpos.chainops.operations import NO_LOG_INDEX, Attested
    from coinpos.validation import address

    parts = value.split(":")
    if len(parts) not in (3, 4):
        raise click.BadParameter(f"{value!r} is not SENDER:AMOUNT:TXHASH[:LOGINDEX]")
    sender, amount, tx_hash = parts[:3]
    if not amount.isascii() or not amount.isdigit() or int(amount) == 0:
        raise click.BadParameter(f"{amount!r} is not a positive number of base units")
    if len(tx_hash) != 66 or not tx_hash.startswith("0x"):
        raise click.BadParameter(f"{tx_hash!r} is not a 0x transaction hash")
    index = NO_LOG_INDEX
    if len(parts) == 4:
        if not parts[3].isascii() or not parts[3].isdigit() or int(parts[3]) > NO_LOG_INDEX:
            raise click.BadParameter(f"{parts[3]!r} is not a log index")
        index = int(parts[3])
    return Attested(address(sender, "sender"), int(amount), tx_hash.lower(), index)


@ops.command()
@click.argument("invoice")
@click.argument("token")
@click.option(
    "--transfer",
    "transfers",
    multiple=True,
    required=True,
    metavar="SENDER:AMOUNT:TXHASH:LOGINDEX",
    help="A transfer of TOKEN seen at the deposit address (base units), from an explorer.",
)
@click.option("--key", required=True, help="Idempotency key of this recovery.")
@chain_options
@json_option
@pass_app
def recover(
    app: AppContext,
    invoice: str,
    token: str,
    transfers: tuple[str, ...],
    key: str,
    network: str,
    operator_alias: str | None,
    as_json: bool,
) -> None:
    """Send another ERC-20 TOKEN sent to INVOICE's deposit address back to its senders.

    The escrow's recoverToken returns each attested transfer (a named payer: to the payer)
    and emits DepositReturned for each, so the attestation is checkable on chain.
    """
    from coinpos.chainops import operations

    attested = [_transfer(t) for t in transfers]
    _run(
        app,
        network,
        operator_alias,
        lambda uow, sender: operations.recover(uow, sender, invoice, token, attested, key=key),
        as_json,
        (invoice,),
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
