"""`coinpos stores ...`, `coinpos terminals ...` and `coinpos coins ...`.

A store is named by its id, a unique prefix of it (as the tables print it) or its name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from coinpos.cli_support import (
    ADDRESS,
    FIAT,
    STORE,
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
        "fee_bps": store.fee_bps,
    }


STORE_COLUMNS = ("store_id", "name", "fiat", "bank", "active")


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
@click.option(
    "--fee-bps",
    type=click.IntRange(0, 10_000),
    default=100,
    show_default=True,
    help="The exchange's fee on the store's captures, in basis points (off chain).",
)
@json_option
@pass_app
def create(
    app: AppContext,
    name: str,
    fiat: str,
    bank: str | None,
    account_number: str | None,
    fee_bps: int,
    as_json: bool,
) -> None:
    """Create a store with a fresh random store id."""
    from coinpos.stores.service import create_store

    with unit_of_work(app) as uow:
        store = create_store(uow, name, fiat, bank, account_number, fee_bps=fee_bps)
        emit([_store_row(store)], as_json, "store created", single=True)


@stores.command("list")
@json_option
@pass_app
def list_stores(app: AppContext, as_json: bool) -> None:
    """List stores."""
    from coinpos.stores.service import list_stores as service_list
    from coinpos.stores.service import short_store_ids

    with unit_of_work(app) as uow:
        rows = [_store_row(s) for s in service_list(uow)]
        short = {"store_id": short_store_ids(uow)}
    emit(rows, as_json, "stores", columns=STORE_COLUMNS, whole={"store_id"}, short=short)


@stores.command()
@click.argument("store", type=STORE)
@json_option
@pass_app
def show(app: AppContext, store: str, as_json: bool) -> None:
    """Show one store.

    STORE is the store's id, a unique prefix of it (as `stores list` prints it), or its name.
    """
    from coinpos.stores.service import resolve_store

    with unit_of_work(app) as uow:
        row = _store_row(resolve_store(uow, store))
    emit([row], as_json, "store", single=True)


def _set_store_active(app: AppContext, store: str, active: bool) -> None:
    from coinpos.stores.service import resolve_store, set_store_active

    with unit_of_work(app) as uow:
        found = set_store_active(uow, resolve_store(uow, store).store_id, active)
        click.echo(
            f"store {found.name!r} {found.store_id} {'reactivated' if active else 'deactivated'}"
        )


@stores.command()
@click.argument("store", type=STORE)
@pass_app
def deactivate(app: AppContext, store: str) -> None:
    """Stop a store taking new invoices.

    Its invoices, balances, settlements and payouts are kept; open invoices can still be
    paid, captured and settled.
    """
    _set_store_active(app, store, False)


@stores.command()
@click.argument("store", type=STORE)
@pass_app
def reactivate(app: AppContext, store: str) -> None:
    """Let a deactivated store take new invoices again."""
    _set_store_active(app, store, True)


@click.group()
def terminals() -> None:
    """POS terminals of a store."""


@terminals.command("add")
@click.argument("store", type=STORE)
@click.argument("code")
@click.option("--label", required=True, help="What staff call it, e.g. front counter.")
@pass_app
def add_terminal(app: AppContext, store: str, code: str, label: str) -> None:
    """Add a terminal to a store."""
    from coinpos.stores.service import add_terminal as add
    from coinpos.stores.service import resolve_store

    with unit_of_work(app) as uow:
        store_id = resolve_store(uow, store).store_id
        terminal = add(uow, store_id, code, label)
    click.echo(f"terminal {terminal.code} added to store {store_id}")


@terminals.command("list")
@click.argument("store", type=STORE)
@json_option
@pass_app
def list_terminals(app: AppContext, store: str, as_json: bool) -> None:
    """List a store's terminals, active or not."""
    from coinpos.stores.service import list_terminals as service_list
    from coinpos.stores.service import resolve_store

    with unit_of_work(app) as uow:
        rows = [_terminal_row(t) for t in service_list(uow, resolve_store(uow, store).store_id)]
    emit(rows, as_json, "terminals", columns=("code", "label", "active"), whole={"code"})


def _set_terminal_active(app: AppContext, store: str, code: str, active: bool) -> None:
    from coinpos.stores.service import resolve_store, set_terminal_active

    with unit_of_work(app) as uow:
        found = resolve_store(uow, store)
        set_terminal_active(uow, found.store_id, code, active)
        state = "reactivated" if active else "deactivated"
        click.echo(f"terminal {code} of store {found.name!r} {state}")


@terminals.command("deactivate")
@click.argument("store", type=STORE)
@click.argument("code")
@pass_app
def deactivate_terminal(app: AppContext, store: str, code: str) -> None:
    """Stop a terminal taking new invoices.

    Its invoices are kept; the store's other terminals go on.
    """
    _set_terminal_active(app, store, code, False)


@terminals.command("reactivate")
@click.argument("store", type=STORE)
@click.argument("code")
@pass_app
def reactivate_terminal(app: AppContext, store: str, code: str) -> None:
    """Let a deactivated terminal take new invoices again."""
    _set_terminal_active(app, store, code, True)


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
    emit(rows, as_json, "coins", whole={"token"})
