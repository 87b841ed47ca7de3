"""Catalogue services. Stock is taken with one conditional UPDATE, so two sales of the last
item cannot both succeed, on SQLite or PostgreSQL, without holding a lock across calls.
"""

from __future__ import annotations

import re

from sqlalchemy import select, update

from coinpos.db.models import CatalogueItem
from coinpos.errors import CoinposError
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
    if clash is not None:
        raise CatalogueError(f"store {store.store_id} already has an item {sku!r}")
    item = CatalogueItem(
        store_id=store.store_id,
        sku=sku,
        name=non_empty(name, "item name", 200),
        coin_id=get_coin(uow, coin, chain_id).id,
        price=price,
        stock=stock,
    )
    uow.session.add(item)
    uow.session.flush()
    return item


def list_items(uow: UnitOfWork, store_id: str) -> list[CatalogueItem]:
    store = get_store(uow, store_id)
    return list(
        uow.session.scalars(
            select(CatalogueItem)
            .where(CatalogueItem.store_id == store.store_id)
            .order_by(CatalogueItem.sku)
        )
    )


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
