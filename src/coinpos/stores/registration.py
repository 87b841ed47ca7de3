"""Registering a store in one request: the store, its POS terminals and its catalogue.

Everything is written in one unit of work, so a bad terminal or item refuses the whole
store and nothing is written. Nothing goes on chain: there a store is only the random
bytes32 id it gets here, never an address.

A catalogue file is YAML (or JSON, which YAML reads too):

    name: Corner Cafe          # optional when given as an option
    fiat: USD
    terminals: [{code: POS-1, label: Counter}]
    items: [{sku: LATTE, name: Latte, coin: CPE, price: "4.50", stock: 100}]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from coinpos.catalogue.service import new_item
from coinpos.db.models import Store
from coinpos.money import parse_decimal, to_base_units
from coinpos.stores.service import get_coin, new_store, new_terminal
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError


@dataclass(frozen=True)
class ItemSpec:
    sku: str
    name: str
    coin: str
    # Whole coins, e.g. Decimal("4.50").
    price: Decimal
    stock: int


@dataclass(frozen=True)
class StoreSpec:
    name: str
    fiat: str
    terminals: tuple[tuple[str, str], ...] = ()
    items: tuple[ItemSpec, ...] = field(default=())
    bank_name: str | None = None
    bank_account_number: str | None = None


def register_store(uow: UnitOfWork, spec: StoreSpec, chain_id: int) -> Store:
    """Writes the store, its terminals and items (prices in coins on `chain_id`), all or none."""
    store = new_store(uow, spec.name, spec.fiat, spec.bank_name, spec.bank_account_number)
    for code, label in spec.terminals:
        new_terminal(uow, store.store_id, code, label)
    for item in spec.items:
        coin = get_coin(uow, item.coin, chain_id)
        price = to_base_units(item.price, coin.decimals)
        new_item(uow, store.store_id, item.sku, item.name, coin.symbol, price, item.stock, chain_id)
    uow.commit()
    return store


def read_store_file(path: Path) -> dict[str, Any]:
    """The fields of a store file (see the module), checked for shape, not yet for content."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInputError(f"cannot read store file {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidInputError(f"store file {path} is not a mapping of name, fiat, items…")
    unknown = set(raw) - {"name", "fiat", "terminals", "items", "bank_name", "bank_account_number"}
    if unknown:
        raise InvalidInputError(f"store file {path} has unknown keys: {', '.join(sorted(unknown))}")
    return raw


def terminals_of(raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list):
        raise InvalidInputError("terminals must be a list of {code, label}")
    found = []
    for entry in raw:
        if not isinstance(entry, dict) or "code" not in entry:
            raise InvalidInputError(f"terminal {entry!r} needs a code")
        found.append((str(entry["code"]), str(entry.get("label") or entry["code"])))
    return tuple(found)


def items_of(raw: Any) -> tuple[ItemSpec, ...]:
    if not isinstance(raw, list):
        raise InvalidInputError("items must be a list of {sku, name, coin, price, stock}")
    found = []
    for entry in raw:
        if not isinstance(entry, dict) or not {"sku", "name", "coin", "price"} <= set(entry):
            raise InvalidInputError(f"item {entry!r} needs sku, name, coin and price")
        if isinstance(entry["price"], float):
            raise InvalidInputError(f"price of {entry['sku']!r}: write it as a string, not a float")
        stock = entry.get("stock", 0)
        if not isinstance(stock, int) or isinstance(stock, bool):
            raise InvalidInputError(f"stock of {entry['sku']!r} must be a whole number")
        found.append(
            ItemSpec(
                sku=str(entry["sku"]),
                name=str(entry["name"]),
                coin=str(entry["coin"]),
                price=parse_decimal(str(entry["price"]), f"price of {entry['sku']!r}"),
                stock=stock,
            )
        )
    return tuple(found)
