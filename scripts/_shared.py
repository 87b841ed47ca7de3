"""What every coinpos script shares: the sender choice, confirmation, the deployment, the
database, and printing what was done.

Not a script itself: `ape run` lists only modules that define `cli` or `main`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, account_option
from rich.console import Console
from rich.table import Table

from coinpos import deployments
from coinpos.ape_output import route_ape_logs
from coinpos.chainops.keys import LOCAL_OPERATOR_TEST_ACCOUNT
from coinpos.cli_support import ChainRefusal, OneLineUsageErrors
from coinpos.deployments import Deployment

# Long lines (hashes, URIs) stay whole, so they can be copied and parsed.
console = Console(soft_wrap=True)
# ape's notices go to stderr (its connection notice not at all), so stdout is the script's.
route_ape_logs()
F = TypeVar("F", bound=Callable[..., Any])

# On the local network, the test account that plays each role (deployments/params.yaml).
# The operator's is the CLI's default on the local network too (coinpos.chainops.keys).
ROLE_TEST_ACCOUNTS = {
    "admin": 0,
    "operator": LOCAL_OPERATOR_TEST_ACCOUNT,
    "minter": 2,
    "customer": 5,
}


class ChainFailure(ChainRefusal):
    """A transaction the chain refused: one line, exit code 1 (bad input exits with 2)."""


class FlowCommand(OneLineUsageErrors, ConnectedProviderCommand):
    """A script command whose every error is one line, as in the staff CLI (exit code 2 for
    bad input; see coinpos.cli_support)."""


def clean_errors(command: F) -> F:
    """A reverted transaction becomes one line and exit code 1 (FlowCommand maps the rest)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ape.exceptions import ContractLogicError

        try:
            return command(*args, **kwargs)
        except ContractLogicError as exc:
            raise ChainFailure(f"the transaction reverted: {exc}") from None

    return wrapper  # type: ignore[return-value]


def sender_options(func: F) -> F:
    """`--account ALIAS` and `--yes`, for a script that sends transactions."""
    func = click.option(
        "--yes", is_flag=True, help="Do not ask for confirmation on a non-local network."
    )(func)
    return account_option(prompt=False)(func)  # type: ignore[no-any-return]


BASE_UNITS_KEY = "coinpos.base_units"


def amounts_option(func: F) -> F:
    """`--base-units`: print coin amounts in base units instead of whole coins."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        ctx.meta[BASE_UNITS_KEY] = value
        return value

    return click.option(
        "--base-units",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="Print coin amounts in base units instead of whole coins.",
    )(func)


@dataclass(frozen=True)
class Denomination:
    """What printing amounts of a coin needs, read while the coin's session is open (a
    unit of work's objects expire when it ends)."""

    decimals: int
    symbol: str

    @classmethod
    def of(cls, coin: Any) -> Denomination:
        return cls(int(coin.decimals), str(coin.symbol))


def amount_text(units: int, coin: Any) -> str:
    """A coin amount as every script and the CLI print it (see coinpos.money.format_amount);
    `coin` is a Coin row in an open session, or its Denomination."""
    from coinpos.money import format_amount

    ctx = click.get_current_context(silent=True)
    base_units = bool(ctx is not None and ctx.meta.get(BASE_UNITS_KEY))
    return format_amount(int(units), int(coin.decimals), str(coin.symbol), base_units=base_units)


def invoice_coin(uow: Any, invoice_ref: str) -> Denomination:
    """The denomination of the coin an invoice is priced in."""
    from coinpos.db.models import Coin
    from coinpos.invoices.service import get_invoice

    return Denomination.of(uow.session.get(Coin, get_invoice(uow, invoice_ref).coin_id))


def db_option(func: F) -> F:
    return click.option(
        "--db",
        "db_url",
        help="Database URL (default: $COINPOS_DATABASE_URL, else SQLite .coinpos/coinpos.db).",
    )(func)


def pick_sender(account: Any, network: Any, yes: bool, action: str, role: str = "admin") -> Any:
    """The account to send from; on a non-local network, only after confirmation.

    On the local network the test account of `role` is the default (the deployer for
    admin, test account 1 for the operator, 2 for the minter, 5 for a customer). Elsewhere
    an account must be named (`--account ALIAS`, imported with `ape accounts import ALIAS`),
    so no key ever comes from a file in the repository. `--yes` answers the confirmation and
    also lets an imported account sign this run's transactions without asking for each:
    its passphrase is read once, from APE_ACCOUNTS_<ALIAS>_PASSPHRASE or a prompt.
    """
    if account is None:
        if not network.is_local:
            raise click.UsageError(
                "pass --account ALIAS (an account imported with `ape accounts import`)"
            )
        account = accounts.test_accounts[ROLE_TEST_ACCOUNTS[role]]
    if not network.is_local and not yes:
        click.confirm(
            f"{action} on {network.ecosystem.name}:{network.name} from {account.address}?",
            abort=True,
        )
    if yes and hasattr(account, "set_autosign"):
        account.set_autosign(True)
    return account


def deployment_of(ecosystem: Any, network: Any) -> Deployment:
    """The network's deployment artifact, checked against the connected chain."""
    found = deployments.load(deployments.artifact_path(ecosystem.name, network.name))
    return deployments.check_chain(found, int(chain.chain_id))


def contract(deployment: Deployment, name: str) -> Any:
    """The deployed contract `name`, with the ABI ape compiled."""
    return getattr(project, name).at(deployment.address(name))


@contextmanager
def unit_of_work(db_url: str | None) -> Iterator[Any]:
    """A unit of work on the database, migrated first (`coinpos db upgrade` is idempotent)."""
    from coinpos.db.engine import make_engine
    from coinpos.db.migrate import upgrade
    from coinpos.unit_of_work import UnitOfWork

    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with UnitOfWork(engine) as uow:
            yield uow
    finally:
        engine.dispose()


def register_coins(uow: Any, deployment: Deployment) -> None:
    """ETH and the deployed e-money, known to the database for this chain."""
    from coinpos.stores.service import ensure_coin

    emoney = contract(deployment, "EMoney")
    ensure_coin(uow, "ETH", deployment.chain_id, 18)
    ensure_coin(
        uow, str(emoney.symbol()), deployment.chain_id, int(emoney.decimals()), emoney.address
    )


def operator_sender(deployment: Deployment, account: Any) -> Any:
    """The exchange's logged sender on the deployed escrow, signing with `account`."""
    from coinpos.chainops.escrow import escrow_from_ape
    from coinpos.chainops.keys import ApeAccountKey
    from coinpos.chainops.sender import TransactionSender

    escrow = contract(deployment, "PaymentEscrow")
    block = deployment.contracts["PaymentEscrow"].block
    return TransactionSender(escrow_from_ape(escrow, block), ApeAccountKey(account))


def invoice_units(uow: Any, invoice_ref: str, amount: Decimal | None) -> int | None:
    """Whole coins of the invoice's coin as base units (None stays None); refuses zero."""
    from coinpos.db.models import Coin
    from coinpos.invoices.service import get_invoice
    from coinpos.money import to_base_units
    from coinpos.validation import InvalidInputError

    if amount is None:
        return None
    if amount == 0:
        raise InvalidInputError("amount must be more than zero")
    invoice = get_invoice(uow, invoice_ref)
    coin = uow.session.get(Coin, invoice.coin_id)
    return to_base_units(amount, coin.decimals)


def show(title: str, rows: dict[str, Any]) -> None:
    """One record as a two-column rich table."""
    table = Table(title=title)
    table.add_column("field")
    table.add_column("value")
    for key, value in rows.items():
        table.add_row(key, "" if value is None else str(value))
    console.print(table)


def print_tx(tx_hash: str, what: str) -> None:
    """The transaction's hash, block and gas used."""
    receipt = chain.provider.web3.eth.get_transaction_receipt(tx_hash)
    status = "ok" if int(receipt["status"]) == 1 else "failed"
    console.print(
        f"{what}: tx {tx_hash} in block {receipt['blockNumber']}, "
        f"gas used {receipt['gasUsed']:,} ({status})"
    )


def print_send(result: Any, what: str) -> None:
    """A logged request's outcome; a failed one exits with 1 and its reason."""
    if result.tx_hash and not result.broadcast:
        console.print(f"{what}: already sent as {result.tx_hash}; nothing sent again")
    for tx_hash in result.broadcast:
        print_tx(tx_hash, what)
    console.print(f"log entry {result.key}: {result.status.value}")
    if result.status.value == "failed":
        raise ChainFailure(f"{what} failed: {result.failure_reason}")


def report_invoice_operation(uow: Any, deployment: Any, result: Any, what: str, ref: str) -> None:
    """Prints a capture, void or refund's outcome, then the invoice's store and escrow state."""
    print_send(result, what)
    shown = store_state(uow, deployment, ref)
    coin = invoice_coin(uow, ref)
    show(f"after {what}", shown | payment_state(deployment, str(shown["invoice"]), coin))


def payment_state(deployment: Deployment, invoice_hash: str, coin: Any) -> dict[str, Any]:
    """The escrow's payment state of an invoice priced in `coin`."""
    escrow = contract(deployment, "PaymentEscrow")
    found = escrow.payment(invoice_hash)
    names = ["none", "authorized", "captured", "closed"]
    return {
        "payment status": names[int(found.status)],
        "payment amount": amount_text(int(found.amount), coin),
        "payer": found.payer,
    }


def store_state(uow: Any, deployment: Deployment, invoice_ref: str) -> dict[str, Any]:
    """The invoice's store balance in its coin, confirmed in the database, and the escrow's
    captured pool of the coin (nothing on chain is per store)."""
    from sqlalchemy import select

    from coinpos.db.models import Coin, StoreBalance
    from coinpos.invoices.service import get_invoice, token_of

    invoice = get_invoice(uow, invoice_ref)
    coin = uow.session.get(Coin, invoice.coin_id)
    balance = uow.session.scalars(
        select(StoreBalance).where(
            StoreBalance.store_id == invoice.store_id, StoreBalance.coin_id == coin.id
        )
    ).one_or_none()
    escrow = contract(deployment, "PaymentEscrow")
    return {
        "invoice": invoice.invoice_hash,
        "store": invoice.store_id,
        "escrow captured pool": amount_text(escrow.pool(token_of(coin))[1], coin),
        "confirmed in the database": amount_text(balance.available if balance else 0, coin),
    }


def print_deployment(deployment: Deployment, artifact: Path) -> None:
    table = Table(
        title=f"{deployment.ecosystem}:{deployment.network} (chain id {deployment.chain_id})"
    )
    table.add_column("contract")
    table.add_column("address")
    table.add_column("block", justify="right")
    for name, record in sorted(deployment.contracts.items()):
        table.add_row(name, record.address, str(record.block))
    for name, address in sorted(deployment.external.items()):
        table.add_row(name, address, "external")
    console.print(table)
    console.print(f"artifact: {artifact}")
