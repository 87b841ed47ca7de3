"""Store, terminal and coin services."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select

from coinpos.db.models import Coin, Store, Terminal
from coinpos.errors import CoinposError
from coinpos.money import fiat_places
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError, address, bytes32, coin_symbol, non_empty

_TERMINAL_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class StoreError(CoinposError):
    """A store, terminal or coin request that cannot be carried out."""


class UnknownStoreError(StoreError):
    def __init__(self, store_id: str) -> None:
        super().__init__(f"no store with id {store_id}")


class UnknownCoinError(StoreError):
    pass


def new_store_id() -> str:
    """A random bytes32: pseudonymous, so the chain never learns who the store is."""
    return "0x" + secrets.token_hex(32)


def create_store(
    uow: UnitOfWork,
    name: str,
    fiat: str,
    bank_name: str | None = None,
    bank_account_number: str | None = None,
    store_id: str | None = None,
) -> Store:
    store = new_store(uow, name, fiat, bank_name, bank_account_number, store_id)
    uow.commit()
    return store


def new_store(
    uow: UnitOfWork,
    name: str,
    fiat: str,
    bank_name: str | None = None,
    bank_account_number: str | None = None,
    store_id: str | None = None,
) -> Store:
    """As create_store, inside the caller's unit of work (which commits or rolls back)."""
    fiat_places(fiat)
    store = Store(
        store_id=bytes32(store_id, "store id") if store_id else new_store_id(),
        name=non_empty(name, "store name", 200),
        fiat=fiat,
        bank_name=bank_name,
        bank_account_number=bank_account_number,
        active=True,
    )
    if uow.session.get(Store, store.store_id) is not None:
        raise StoreError(f"store {store.store_id} already exists")
    uow.session.add(store)
    uow.session.flush()
    return store


def get_store(uow: UnitOfWork, store_id: str) -> Store:
    store = uow.session.get(Store, bytes32(store_id, "store id"))
    if store is None:
        raise UnknownStoreError(store_id)
    return store


def list_stores(uow: UnitOfWork) -> list[Store]:
    return list(uow.session.scalars(select(Store).order_by(Store.name, Store.store_id)))


def add_terminal(uow: UnitOfWork, store_id: str, code: str, label: str) -> Terminal:
    terminal = new_terminal(uow, store_id, code, label)
    uow.commit()
    return terminal


def new_terminal(uow: UnitOfWork, store_id: str, code: str, label: str) -> Terminal:
    """As add_terminal, inside the caller's unit of work (which commits or rolls back)."""
    store = get_store(uow, store_id)
    if not _TERMINAL_CODE.match(code):
        raise InvalidInputError(f"terminal code {code!r} must be 1-32 of A-Z, a-z, 0-9, '_', '-'")
    clash = uow.session.scalars(
        select(Terminal).where(Terminal.store_id == store.store_id, Terminal.code == code)
    ).one_or_none()
    if clash is not None:
        raise StoreError(f"store {store.store_id} already has a terminal {code!r}")
    terminal = Terminal(
        store_id=store.store_id, code=code, label=non_empty(label, "label", 100), active=True
    )
    uow.session.add(terminal)
    uow.session.flush()
    return terminal


def list_terminals(uow: UnitOfWork, store_id: str) -> list[Terminal]:
    store = get_store(uow, store_id)
    return list(
        uow.session.scalars(
            select(Terminal).where(Terminal.store_id == store.store_id).order_by(Terminal.code)
        )
    )


def add_coin(
    uow: UnitOfWork, symbol: str, chain_id: int, decimals: int, token: str | None = None
) -> Coin:
    """Registers a coin; `token` None means the chain's native coin."""
    coin_symbol(symbol)
    if not 0 <= decimals <= 36:
        raise InvalidInputError(f"decimals {decimals} outside 0..36")
    if chain_id <= 0:
        raise InvalidInputError(f"chain id {chain_id} must be positive")
    clash = uow.session.scalars(
        select(Coin).where(Coin.chain_id == chain_id, Coin.symbol == symbol)
    ).one_or_none()
    if clash is not None:
        raise StoreError(f"coin {symbol} is already registered on chain {chain_id}")
    coin = Coin(
        symbol=symbol,
        chain_id=chain_id,
        decimals=decimals,
        address=address(token, "token") if token else None,
    )
    uow.session.add(coin)
    uow.commit()
    return coin


def get_coin(uow: UnitOfWork, symbol: str, chain_id: int | None = None) -> Coin:
    """The coin by symbol; the chain id is needed only when the symbol is on several chains."""
    query = select(Coin).where(Coin.symbol == coin_symbol(symbol))
    if chain_id is not None:
        query = query.where(Coin.chain_id == chain_id)
    coins = list(uow.session.scalars(query))
    if not coins:
        where = f" on chain {chain_id}" if chain_id is not None else ""
        raise UnknownCoinError(f"no coin {symbol}{where} is registered")
    if len(coins) > 1:
        chains = ", ".join(str(c.chain_id) for c in coins)
        raise UnknownCoinError(f"coin {symbol} is on several chains ({chains}): give a chain id")
    return coins[0]


def list_coins(uow: UnitOfWork) -> list[Coin]:
    return list(uow.session.scalars(select(Coin).order_by(Coin.chain_id, Coin.symbol)))


def ensure_coin(
    uow: UnitOfWork, symbol: str, chain_id: int, decimals: int, token: str | None = None
) -> Coin:
    """The coin `symbol` on `chain_id`, registered if new; a clash with what is known is refused."""
    known = uow.session.scalars(
        select(Coin).where(Coin.chain_id == chain_id, Coin.symbol == coin_symbol(symbol))
    ).one_or_none()
    if known is None:
        return add_coin(uow, symbol, chain_id, decimals, token)
    wanted = address(token, "token") if token else None
    if (known.address, known.decimals) != (wanted, decimals):
        raise StoreError(
            f"coin {symbol} on chain {chain_id} is registered as {known.address or 'native'} "
            f"with {known.decimals} decimals, not {wanted or 'native'} with {decimals}"
        )
    return known
