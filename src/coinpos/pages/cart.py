"""The POS cart's total before charging: the sum of its lines at the catalogue's prices, in
the coin and in the store's currency at the current rate (the invoice then fixes the price)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from coinpos.catalogue.pricing import priced_catalogue
from coinpos.invoices.schemas import CartLineIn
from coinpos.money import format_amount
from coinpos.rates.valuation import Valuer
from coinpos.server.money import CoinAmount, FiatAmount, coin_amount, fiat_amount
from coinpos.stores.service import get_store
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError


class CartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cart: list[CartLineIn] = Field(min_length=1, max_length=100)


class CartTotal(BaseModel):
    total: CoinAmount
    shown: str
    fiat: FiatAmount | None


def cart_total(uow: UnitOfWork, store_id: str, cart: CartIn) -> CartTotal:
    priced = {entry.item.sku: entry for entry in priced_catalogue(uow, store_id)}
    coins = set()
    units = 0
    for line in cart.cart:
        entry = priced.get(line.sku)
        if entry is None:
            raise InvalidInputError(f"the catalogue has no item {line.sku!r}")
        if line.quantity > entry.item.stock:
            raise InvalidInputError(f"only {entry.item.stock} of {entry.item.name} in stock")
        coins.add(entry.coin.symbol)
        units += entry.item.price * line.quantity
    if len(coins) > 1:
        raise InvalidInputError("a cart is paid in one coin: " + ", ".join(sorted(coins)))
    coin = next(entry.coin for entry in priced.values() if entry.coin.symbol in coins)
    store = get_store(uow, store_id)
    valuation = Valuer(uow.session).value(coin.symbol, coin.decimals, units, store.fiat)
    return CartTotal(
        total=coin_amount(coin.symbol, coin.decimals, units),
        shown=format_amount(units, coin.decimals, coin.symbol),
        fiat=fiat_amount(valuation),
    )
