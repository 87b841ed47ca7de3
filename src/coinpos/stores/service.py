"""Store, terminal and coin services.

Staff name a store by its whole id, by a unique prefix of it (as the tables print it), or
by its name: `resolve_store` is the one place that turns such a reference into a store.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from sqlalchemy import func, select

from coinpos.db.models import Coin, Store, Terminal
from coinpos.db.models.stores import DEFAULT_STORE_FEE_BPS
from coinpos.errors import CoinposError
from coinpos.money import fiat_places
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError, address, bytes32, coin_symbol, non_empty

_TERMINAL_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_HEX_REF = re.compile(r"^0[xX][0-9a-fA-F]*$")
# A prefix shorter than this would match by accident more often than it helps.
MIN_PREFIX_DIGITS = 4
# Tables print store ids cut to at least this many hex digits, longer where two share them.
SHORT_ID_DIGITS = 8


class StoreError(CoinposError):
    """A store, terminal or coin request that cannot be carried out."""


class UnknownStoreError(StoreError):
    def __init__(self, store_id: str) -> None:
        super().__init__(f"no store with id {store_id}")


class UnknownTerminalError(StoreError):
    pass


class UnknownCoinError(StoreError):
    pass


class InactiveError(StoreError):
    """A store or terminal that is deactivated takes no new invoices."""


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
    fee_bps: int = DEFAULT_STORE_FEE_BPS,
) -> Store:
    store = new_store(uow, name, fiat, bank_name, bank_account_number, store_id, fee_bps)
    uow.commit()
    return store


def new_store(
    uow: UnitOfWork,
    name: str,
    fiat: str,
    bank_name: str | None = None,
    bank_account_number: str | None = None,
    store_id: str | None = None,
    fee_bps: int = DEFAULT_STORE_FEE_BPS,
) -> Store:
    """As create_store, inside the caller's unit of work (which commits or rolls back).

    `fee_bps` is the exchange's fee on the store's captures (an off-chain term, copied to
    each invoice when it is made)."""
    fiat_places(fiat)
    if not 0 <= fee_bps <= 10_000:
        raise InvalidInputError(f"fee {fee_bps} bps outside 0..10000")
    store = Store(
        store_id=bytes32(store_id, "store id") if store_id else new_store_id(),
        name=non_empty(name, "store name", 200),
        fiat=fiat,
        bank_name=bank_name,
        bank_account_number=bank_account_number,
        active=True,
        fee_bps=fee_bps,
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


def check_store_ref(ref: str) -> str:
    """The syntax of a store reference, before any lookup: 0x and hex digits is an id or an
    id prefix (returned in lowercase); anything else is a name."""
    stripped = ref.strip()
    if not stripped:
        raise InvalidInputError("store must not be empty: give its id, an id prefix or its name")
    if _HEX_REF.match(stripped):
        digits = len(stripped) - 2
        if digits > 64:
            raise InvalidInputError(f"store id {ref!r} has more than 64 hex digits")
        if digits < MIN_PREFIX_DIGITS:
            raise InvalidInputError(
                f"store id prefix {ref!r} is too short: give at least {MIN_PREFIX_DIGITS} hex "
                "digits after 0x"
            )
        return stripped.lower()
    return non_empty(stripped, "store name", 200)


def resolve_store(uow: UnitOfWork, ref: str) -> Store:
    """The one store that `ref` names: its whole id, a unique id prefix, or its name."""
    checked = check_store_ref(ref)
    if _HEX_REF.match(checked):
        if len(checked) == 66:
            return get_store(uow, checked)
        matches = list(uow.session.scalars(select(Store).where(Store.store_id.startswith(checked))))
        if not matches:
            raise StoreError(f"no store id starts with {checked}")
    else:
        matches = list(uow.session.scalars(select(Store).where(Store.name == checked)))
        if not matches:
            folded = func.lower(Store.name) == checked.lower()
            matches = list(uow.session.scalars(select(Store).where(folded)))
        if not matches:
            raise StoreError(f"no store named {checked!r}")
    if len(matches) > 1:
        ids = ", ".join(sorted(store.store_id[:18] + "…" for store in matches))
        raise StoreError(f"{ref!r} names {len(matches)} stores ({ids}): give more of the id")
    return matches[0]


def short_ids(ids: Iterable[str], digits: int = SHORT_ID_DIGITS) -> dict[str, str]:
    """Each 0x id cut to the shortest prefix (at least `digits` hex digits) no other shares."""
    ordered = sorted(set(ids))
    short = {}
    for n, full in enumerate(ordered):
        neighbours = ordered[max(n - 1, 0) : n] + ordered[n + 1 : n + 2]
        shared = max((_common_prefix(full, other) for other in neighbours), default=0)
        short[full] = full[: max(2 + digits, shared + 1)]
    return short


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def short_store_ids(uow: UnitOfWork) -> dict[str, str]:
    """Every store's id as the tables print it: unique among all stores, so it resolves."""
    return short_ids(uow.session.scalars(select(Store.store_id)))


def list_stores(uow: UnitOfWork) -> list[Store]:
    return list(uow.session.scalars(select(Store).order_by(Store.name, Store.store_id)))


def set_store_active(uow: UnitOfWork, store_id: str, active: bool) -> Store:
    """Deactivates or reactivates a store. Inactive, it takes no new invoices; its invoices,
    balances, settlements and payouts stay as they are, and can still be settled."""
    store = get_store(uow, store_id)
    if store.active == active:
        state = "active" if active else "inactive"
        raise StoreError(f"store {store.name!r} ({store.store_id}) is already {state}")
    store.active = active
    uow.commit()
    return store


def get_terminal(uow: UnitOfWork, store_id: str, code: str) -> Terminal:
    store = get_store(uow, store_id)
    terminal = uow.session.scalars(
        select(Terminal).where(Terminal.store_id == store.store_id, Terminal.code == code)
    ).one_or_none()
    if terminal is None:
        raise UnknownTerminalError(f"store {store.name!r} has no terminal {code!r}")
    return terminal


def set_terminal_active(uow: UnitOfWork, store_id: str, code: str, active: bool) -> Terminal:
    """Deactivates or reactivates one terminal; inactive, it takes no new invoices."""
    terminal = get_terminal(uow, store_id, code)
    if terminal.active == active:
        state = "active" if active else "inactive"
        raise StoreError(f"terminal {code!r} is already {state}")
    terminal.active = active
    uow.commit()
    return terminal


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
