"""`coinpos stores ...`, `coinpos terminals ...` and `coinpos coins ...`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from coinpos.cli_support import (
    ADDRESS,
    FIAT,
    STORE_ID,
    SYMBOL,
    AppContext,
    emit,
    json_option,
    pass_app,
    unit_of_work,
)

if TYPE_CHECKING:
    from coinpos.db.models import Coin, Store, Terminal


def _store_row(store: Store) -> dict[str, Any]:
    return {
        "store_id": store.store_id,
        "name": store.name,
        "fiat": store.fiat,
        "bank": store.bank_name,
        "account_number": store.bank_account_number,
        "active": store.active,
    }


def _terminal_row(terminal: Terminal) -> dict[str, Any]:
    return {"code": terminal.code, "label": terminal.label, "active": terminal.active}


def _coin_row(coin: Coin) -> dict[str, Any]:
    return {
        "symbol": coin.symbol,
        "chain_id": coin.chain_id,
        "decimals": coin.decimals,
        "token": coin.address or "native",
    }


@click.group()
def stores() -> None:
    """Stores (pseudonymous bytes32 ids on chain)."""


@stores.command()
@click.argument("name")
@click.option("--fiat", type=FIAT, required=True, help="Payout currency, e.g. KRW.")
@click.option("--bank", help="Bank the fiat payouts go to.")
@click.option("--account-number", help="Account number for the payouts.")
@json_option
@pass_app
def create(
    app: AppContext,
    name: str,
    fiat: str,
    bank: str | None,
    account_number: str | None,
    as_json: bool,
) -> None:
    """Create a store with a fresh random store id."""
    from coinpos.stores.service import create_store

    with unit_of_work(app) as uow:
        store = create_store(uow, name, fiat, bank, account_number)
        emit([_store_row(store)], as_json, "store created", single=True)


@stores.command("list")
@json_option
@pass_app
def list_stores(app: AppContext, as_json: bool) -> None:
    """List stores."""
    from coinpos.stores.service import list_stores as service_list

    with unit_of_work(app) as uow:
        rows = [_store_row(s) for s in service_list(uow)]
    emit(rows, as_json, "stores")


@stores.command()
@click.argument("store_id", type=STORE_ID)
@json_option
@pass_app
def show(app: AppContext, store_id: str, as_json: bool) -> None:
    """Show one store."""
    from coinpos.stores.service import get_store

    with unit_of_work(app) as uow:
        row = _store_row(get_store(uow, store_id))
    emit([row], as_json, "store", single=True)


@click.group()
def terminals() -> None:
    """POS terminals of a store."""


@terminals.command("add")
@click.argument("store_id", type=STORE_ID)
@click.argument("code")
@click.option("--label", required=True, help="What staff call it, e.g. front counter.")
@pass_app
def add_terminal(app: AppContext, store_id: str, code: str, label: str) -> None:
    """Add a terminal to a store."""
    from coinpos.stores.service import add_terminal as add

    with unit_of_work(app) as uow:
        terminal = add(uow, store_id, code, label)
    click.echo(f"terminal {terminal.code} added to store {store_id}")


@terminals.command("list")
@click.argument("store_id", type=STORE_ID)
@json_option
@pass_app
def list_terminals(app: AppContext, store_id: str, as_json: bool) -> None:
    """List a store's terminals."""
    from coinpos.stores.service import list_terminals as service_list

    with unit_of_work(app) as uow:
        rows = [_terminal_row(t) for t in service_list(uow, store_id)]
    emit(rows, as_json, "terminals")


@click.group()
def coins() -> None:
    """Coins the exchange accepts."""


@coins.command("add")
@click.argument("symbol", type=SYMBOL)
@click.option(
    "--chain-id", type=click.IntRange(min=1), required=True, help="Chain id the coin lives on."
)
@click.option(
    "--decimals",
    type=click.IntRange(0, 36),
    required=True,
    help="Decimals of the coin (base units per whole coin = 10^decimals).",
)
@click.option("--token", type=ADDRESS, help="ERC-20 address; omit for the native coin.")
@pass_app
def add_coin(app: AppContext, symbol: str, chain_id: int, decimals: int, token: str | None) -> None:
    """Register a coin."""
    from coinpos.stores.service import add_coin as add

    with unit_of_work(app) as uow:
        coin = add(uow, symbol, chain_id, decimals, token)
    click.echo(f"coin {coin.symbol} registered on chain {coin.chain_id}")


@coins.command("list")
@json_option
@pass_app
def list_coins(app: AppContext, as_json: bool) -> None:
    """List coins."""
    from coinpos.stores.service import list_coins as service_list

    with unit_of_work(app) as uow:
        rows = [_coin_row(c) for c in service_list(uow)]
    emit(rows, as_json, "coins")
