"""`coinpos catalogue add|update|remove|list`: a store's items, prices in whole coins."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from coinpos.cli_support import (
    AMOUNT,
    STORE,
    SYMBOL,
    AppContext,
    emit,
    json_option,
    pass_app,
    unit_of_work,
)

if TYPE_CHECKING:
    from coinpos.db.models import CatalogueItem, Coin
    from coinpos.unit_of_work import UnitOfWork

LIST_COLUMNS = ("sku", "name", "price", "stock")


def _row(item: CatalogueItem, coin: Coin) -> dict[str, Any]:
    from coinpos.money import CoinAmount

    return {
        "sku": item.sku,
        "name": item.name,
        "price": CoinAmount(item.price, coin.decimals, coin.symbol),
        "price_base_units": item.price,
        "coin": coin.symbol,
        "chain_id": coin.chain_id,
        "stock": item.stock,
        "removed_at": item.removed_at,
    }


def _coin_of(uow: UnitOfWork, item: CatalogueItem) -> Coin:
    from coinpos.db.models import Coin

    coin = uow.session.get(Coin, item.coin_id)
    assert coin is not None
    return coin


@click.group()
def catalogue() -> None:
    """A store's catalogue: items with an e-money price and a stock."""


@catalogue.command()
@click.argument("store", type=STORE)
@click.argument("sku")
@click.option("--name", required=True, help="What the POS and the receipt show.")
@click.option("--price", type=AMOUNT, required=True, help="Whole coins, e.g. 4.50.")
@click.option("--coin", type=SYMBOL, required=True, help="The coin of the price, e.g. CPE.")
@click.option("--stock", type=click.IntRange(min=0), default=0, show_default=True, help="Units.")
@click.option(
    "--chain-id", type=click.IntRange(min=1), help="The coin's chain, when it is on several."
)
@json_option
@pass_app
def add(
    app: AppContext,
    store: str,
    sku: str,
    name: str,
    price: Decimal,
    coin: str,
    stock: int,
    chain_id: int | None,
    as_json: bool,
) -> None:
    """Add an item to a store's catalogue.

    STORE is the store's id, a unique prefix of it, or its name. An item removed before
    comes back with the new details.
    """
    from coinpos.catalogue.service import add_priced_item
    from coinpos.stores.service import resolve_store

    with unit_of_work(app) as uow:
        store_id = resolve_store(uow, store).store_id
        item = add_priced_item(uow, store_id, sku, name, coin, price, stock, chain_id)
        row = _row(item, _coin_of(uow, item))
    emit([row], as_json, "item added", single=True)


@catalogue.command()
@click.argument("store", type=STORE)
@click.argument("sku")
@click.option("--name", help="A new name.")
@click.option("--price", type=AMOUNT, help="A new price in whole coins of the item's coin.")
@click.option("--stock", type=click.IntRange(min=0), help="The stock counted, replacing it.")
@click.option("--add-stock", type=click.IntRange(min=1), help="Units received, added to the stock.")
@json_option
@pass_app
def update(
    app: AppContext,
    store: str,
    sku: str,
    name: str | None,
    price: Decimal | None,
    stock: int | None,
    add_stock: int | None,
    as_json: bool,
) -> None:
    """Change an item's name, price or stock.

    Invoices already made keep the price they were made at.
    """
    from coinpos.catalogue.service import ItemChange, update_item
    from coinpos.stores.service import resolve_store

    change = ItemChange(name=name, price=price, stock=stock, add_stock=add_stock)
    with unit_of_work(app) as uow:
        item = update_item(uow, resolve_store(uow, store).store_id, sku, change)
        row = _row(item, _coin_of(uow, item))
    emit([row], as_json, "item updated", single=True)


@catalogue.command()
@click.argument("store", type=STORE)
@click.argument("sku")
@pass_app
def remove(app: AppContext, store: str, sku: str) -> None:
    """Take an item off sale.

    An item that invoices name is kept for them, marked removed; otherwise it is deleted.
    """
    from coinpos.catalogue.service import remove_item
    from coinpos.stores.service import resolve_store

    with unit_of_work(app) as uow:
        removal = remove_item(uow, resolve_store(uow, store).store_id, sku)
    if removal.kept:
        click.echo(
            f"item {sku} removed (kept, marked removed: {removal.invoice_lines} invoice lines)"
        )
    else:
        click.echo(f"item {sku} removed (deleted: no invoice names it)")


@catalogue.command("list")
@click.argument("store", type=STORE)
@click.option("--all", "include_removed", is_flag=True, help="Include removed items.")
@json_option
@pass_app
def list_(app: AppContext, store: str, include_removed: bool, as_json: bool) -> None:
    """List a store's items."""
    from coinpos.catalogue.service import list_items
    from coinpos.stores.service import resolve_store

    with unit_of_work(app) as uow:
        found = resolve_store(uow, store)
        title = f"catalogue of {found.name}"
        rows = [
            _row(item, _coin_of(uow, item))
            for item in list_items(uow, found.store_id, include_removed)
        ]
    columns = (*LIST_COLUMNS, "removed_at") if include_removed else LIST_COLUMNS
    if not as_json:
        for row in rows:
            if row["removed_at"] is not None:
                row["removed_at"] = f"{row['removed_at']:%Y-%m-%d}"
    emit(rows, as_json, title, columns=columns, whole={"sku"})
