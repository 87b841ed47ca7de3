"""Catalogue services. Stock is taken with one conditional UPDATE, so two sales of the last
item cannot both succeed, on SQLite or PostgreSQL, without holding a lock across calls.

Prices are whole coins for staff (`Decimal("4.50")`) and base units in the database; an
item's price must be exact in its coin's decimals. Removing an item that invoice lines name
only marks it removed, so every invoice keeps its lines; adding its sku again brings it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update

from coinpos.db.models import CatalogueItem, Coin, InvoiceLine
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError
from coinpos.money import to_base_units
from coinpos.stores.service import get_coin, get_store
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError, non_empty

_SKU = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class CatalogueError(CoinposError):
    """A catalogue request that cannot be carried out."""


class OutOfStockError(CatalogueError):
    pass


def add_item(
    uow: UnitOfWork,
    store_id: str,
    sku: str,
    name: str,
    coin: str,
    price: int,
    stock: int,
    chain_id: int | None = None,
) -> CatalogueItem:
    """Adds an item priced at `price` base units of `coin`."""
    item = new_item(uow, store_id, sku, name, coin, price, stock, chain_id)
    uow.commit()
    return item


def new_item(
    uow: UnitOfWork,
    store_id: str,
    sku: str,
    name: str,
    coin: str,
    price: int,
    stock: int,
    chain_id: int | None = None,
) -> CatalogueItem:
    """As add_item, inside the caller's unit of work (which commits or rolls back)."""
    store = get_store(uow, store_id)
    if not _SKU.match(sku):
        raise InvalidInputError(f"sku {sku!r} must be 1-64 of A-Z, a-z, 0-9, '.', '_', '-'")
    if price <= 0:
        raise InvalidInputError(f"price {price} must be a positive number of base units")
    if stock < 0:
        raise InvalidInputError(f"stock {stock} must not be negative")
    clash = uow.session.scalars(
        select(CatalogueItem).where(
            CatalogueItem.store_id == store.store_id, CatalogueItem.sku == sku
        )
    ).one_or_none()
    if clash is not None and clash.removed_at is None:
        raise CatalogueError(f"store {store.store_id} already has an item {sku!r}")
    item = clash or CatalogueItem(store_id=store.store_id, sku=sku)
    item.name = non_empty(name, "item name", 200)
    item.coin_id = get_coin(uow, coin, chain_id).id
    item.price = price
    item.stock = stock
    item.removed_at = None
    uow.session.add(item)
    uow.session.flush()
    return item


def add_priced_item(
    uow: UnitOfWork,
    store_id: str,
    sku: str,
    name: str,
    coin: str,
    price: Decimal,
    stock: int,
    chain_id: int | None = None,
) -> CatalogueItem:
    """As add_item, with the price in whole coins (exact in the coin's decimals)."""
    found = get_coin(uow, coin, chain_id)
    units = to_base_units(price, found.decimals)
    return add_item(uow, store_id, sku, name, coin, units, stock, found.chain_id)


@dataclass(frozen=True)
class ItemChange:
    """What staff change on an item; None leaves a field as it is."""

    name: str | None = None
    # Whole coins of the item's coin.
    price: Decimal | None = None
    # The stock counted on the shelf, replacing what is recorded.
    stock: int | None = None
    # Received goods, added to the stock in one UPDATE so a sale at the same time is kept.
    add_stock: int | None = None


def get_item(uow: UnitOfWork, store_id: str, sku: str) -> CatalogueItem:
    """A store's item by sku, removed or not."""
    store = get_store(uow, store_id)
    item = uow.session.scalars(
        select(CatalogueItem).where(
            CatalogueItem.store_id == store.store_id, CatalogueItem.sku == sku
        )
    ).one_or_none()
    if item is None:
        raise CatalogueError(f"store {store.name!r} has no item {sku!r}")
    return item


def update_item(uow: UnitOfWork, store_id: str, sku: str, change: ItemChange) -> CatalogueItem:
    """Changes an item's name, price and stock together, or refuses and changes nothing.

    Invoices already made keep the price they were made at (`invoice_lines.unit_price`).
    """
    if change == ItemChange():
        raise InvalidInputError("nothing to change: give a name, a price or a stock")
    if change.stock is not None and change.add_stock is not None:
        raise InvalidInputError("give a new stock or stock to add, not both")
    item = get_item(uow, store_id, sku)
    if item.removed_at is not None:
        raise CatalogueError(f"item {sku!r} was removed; add it again to sell it")
    if change.name is not None:
        item.name = non_empty(change.name, "item name", 200)
    if change.price is not None:
        coin = uow.session.get(Coin, item.coin_id)
        assert coin is not None
        units = to_base_units(change.price, coin.decimals)
        if units <= 0:
            raise InvalidInputError(f"price {change.price} must be more than zero")
        item.price = units
    if change.stock is not None:
        if change.stock < 0:
            raise InvalidInputError(f"stock {change.stock} must not be negative")
        item.stock = change.stock
    uow.session.flush()
    if change.add_stock is not None:
        if change.add_stock <= 0:
            raise InvalidInputError(f"stock to add {change.add_stock} must be positive")
        uow.session.execute(
            update(CatalogueItem)
            .where(CatalogueItem.id == item.id)
            .values(stock=CatalogueItem.stock + change.add_stock)
        )
        uow.session.refresh(item)
    uow.commit()
    return item


@dataclass(frozen=True)
class Removal:
    sku: str
    # Invoice lines that name the item; when there are any, it is kept, marked removed.
    invoice_lines: int

    @property
    def kept(self) -> bool:
        return self.invoice_lines > 0


def remove_item(uow: UnitOfWork, store_id: str, sku: str, now: datetime | None = None) -> Removal:
    """Takes an item off sale: deleted when no invoice names it, otherwise marked removed."""
    item = get_item(uow, store_id, sku)
    if item.removed_at is not None:
        raise CatalogueError(f"item {sku!r} is already removed")
    lines = uow.session.scalar(
        select(func.count()).select_from(InvoiceLine).where(InvoiceLine.item_id == item.id)
    )
    if lines:
        item.removed_at = now or utcnow()
    else:
        uow.session.delete(item)
    uow.commit()
    return Removal(sku, lines or 0)


def list_items(
    uow: UnitOfWork, store_id: str, include_removed: bool = False
) -> list[CatalogueItem]:
    store = get_store(uow, store_id)
    query = (
        select(CatalogueItem)
        .where(CatalogueItem.store_id == store.store_id)
        .order_by(CatalogueItem.sku)
    )
    if not include_removed:
        query = query.where(CatalogueItem.removed_at.is_(None))
    return list(uow.session.scalars(query))


def take_stock(uow: UnitOfWork, item_id: int, quantity: int) -> int:
    """Removes `quantity` from stock atomically; returns what is left."""
    left = reserve_stock(uow, item_id, quantity)
    uow.commit()
    return left


def reserve_stock(uow: UnitOfWork, item_id: int, quantity: int) -> int:
    """As take_stock, inside the caller's unit of work (which commits or rolls back)."""
    if quantity <= 0:
        raise InvalidInputError(f"quantity {quantity} must be positive")
    left = uow.session.scalar(
        update(CatalogueItem)
        .where(CatalogueItem.id == item_id, CatalogueItem.stock >= quantity)
        .values(stock=CatalogueItem.stock - quantity)
        .returning(CatalogueItem.stock)
    )
    if left is None:
        item = uow.session.get(CatalogueItem, item_id)
        if item is None:
            raise CatalogueError(f"no catalogue item {item_id}")
        raise OutOfStockError(f"item {item.sku!r} has {item.stock} in stock, {quantity} asked")
    return int(left)
