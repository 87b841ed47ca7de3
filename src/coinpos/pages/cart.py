"""The POS sale before charging: catalogue lines, or custom amounts typed on the keypad,
and its total in the coin and in the store's currency at the current rate (the invoice
then fixes the price).

An invoice is either a cart of catalogue items (which takes their stock) or an amount, so
a sale is one or the other: custom amounts are charged together as one amount.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from coinpos.catalogue.pricing import priced_catalogue
from coinpos.db.models import Coin
from coinpos.invoices.schemas import CartLineIn, InvoiceIn
from coinpos.money import format_amount, from_base_units, parse_decimal, to_base_units
from coinpos.rates.valuation import Valuer
from coinpos.server.money import CoinAmount, FiatAmount, coin_amount, fiat_amount
from coinpos.stores.service import get_coin, get_store
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError

AMOUNT = r"^[0-9]{1,30}(\.[0-9]{1,36})?$"


class CartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cart: list[CartLineIn] = Field(default_factory=list, max_length=100)
    # Custom amounts in whole coins of `coin` (the keypad's lines).
    amounts: list[str] = Field(default_factory=list, max_length=100)
    coin: str | None = Field(default=None, pattern=r"^[A-Z0-9]{1,16}$")


class CartTotal(BaseModel):
    total: CoinAmount
    shown: str
    fiat: FiatAmount | None


class Priced(BaseModel):
    coin: str
    decimals: int
    units: int


def price_sale(uow: UnitOfWork, store_id: str, sale: CartIn, chain_id: int | None) -> Priced:
    if sale.cart and sale.amounts:
        raise InvalidInputError(
            "a custom amount is charged on its own: charge the items first, then the amount"
        )
    if sale.amounts:
        if sale.coin is None:
            raise InvalidInputError("a custom amount needs its coin")
        coin: Coin = get_coin(uow, sale.coin, chain_id)
        units = 0
        for text in sale.amounts:
            if not _is_amount(text):
                raise InvalidInputError(f"{text!r} is not an amount of {coin.symbol}")
            line = to_base_units(parse_decimal(text), coin.decimals)
            if line <= 0:
                raise InvalidInputError("a custom amount must be more than zero")
            units += line
        return Priced(coin=coin.symbol, decimals=coin.decimals, units=units)
    if not sale.cart:
        raise InvalidInputError("the cart is empty")
    priced = {entry.item.sku: entry for entry in priced_catalogue(uow, store_id)}
    coins = set()
    units = 0
    for cart_line in sale.cart:
        entry = priced.get(cart_line.sku)
        if entry is None:
            raise InvalidInputError(f"the catalogue has no item {cart_line.sku!r}")
        if cart_line.quantity > entry.item.stock:
            raise InvalidInputError(f"only {entry.item.stock} of {entry.item.name} in stock")
        coins.add(entry.coin.symbol)
        units += entry.item.price * cart_line.quantity
    if len(coins) > 1:
        raise InvalidInputError("a cart is paid in one coin: " + ", ".join(sorted(coins)))
    coin = next(entry.coin for entry in priced.values() if entry.coin.symbol in coins)
    return Priced(coin=coin.symbol, decimals=coin.decimals, units=units)


def _is_amount(text: str) -> bool:
    return re.fullmatch(AMOUNT, text) is not None


def cart_total(uow: UnitOfWork, store_id: str, sale: CartIn, chain_id: int | None) -> CartTotal:
    priced = price_sale(uow, store_id, sale, chain_id)
    store = get_store(uow, store_id)
    valuation = Valuer(uow.session).value(priced.coin, priced.decimals, priced.units, store.fiat)
    return CartTotal(
        total=coin_amount(priced.coin, priced.decimals, priced.units),
        shown=format_amount(priced.units, priced.decimals, priced.coin),
        fiat=fiat_amount(valuation),
    )


def invoice_of_sale(
    uow: UnitOfWork, store_id: str, sale: CartIn, chain_id: int | None
) -> InvoiceIn:
    """The invoice request of the sale: its cart, or the sum of its custom amounts."""
    priced = price_sale(uow, store_id, sale, chain_id)
    if sale.cart:
        return InvoiceIn(coin=priced.coin, cart=sale.cart)
    whole = from_base_units(priced.units, priced.decimals)
    return InvoiceIn(coin=priced.coin, amount=format(whole, "f"))
