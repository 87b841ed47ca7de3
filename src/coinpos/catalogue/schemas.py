"""The catalogue as the POS API shows it."""

from __future__ import annotations

from pydantic import BaseModel

from coinpos.server.money import CoinAmount, FiatAmount


class CatalogueItemOut(BaseModel):
    sku: str
    name: str
    stock: int
    price: CoinAmount
    fiat_price: FiatAmount | None


class CatalogueOut(BaseModel):
    store_id: str
    items: list[CatalogueItemOut]
