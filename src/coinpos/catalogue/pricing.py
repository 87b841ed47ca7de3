"""A store's catalogue as the POS shows it: each item with its stock, its price in its coin
and that price in the store's currency at the current rate."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from coinpos.db.models import CatalogueItem, Coin
from coinpos.rates.valuation import Valuation, Valuer
from coinpos.stores.service import get_store
from coinpos.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PricedItem:
    item: CatalogueItem
    coin: Coin
    fiat_price: Valuation | None


def priced_catalogue(uow: UnitOfWork, store_id: str) -> list[PricedItem]:
    store = get_store(uow, store_id)
    valuer = Valuer(uow.session)
    rows = uow.session.execute(
        select(CatalogueItem, Coin)
        .join(Coin, Coin.id == CatalogueItem.coin_id)
        .where(CatalogueItem.store_id == store.store_id)
        .order_by(CatalogueItem.sku)
    ).tuples()
    return [
        PricedItem(item, coin, valuer.value(coin.symbol, coin.decimals, item.price, store.fiat))
        for item, coin in rows
    ]
