"""What a settlement request would be if made now, for a manager to confirm first: the
amount (all or part of the confirmed, captured balance), the rate the request would lock,
the fee and the payout, computed with the same functions as `request_settlement`.

Nothing is written and nothing is locked: the request itself locks the newest rate when it
is made, and refuses what its own checks refuse; a quote only shows what to expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from coinpos.db.models import Coin, StoreBalance
from coinpos.db.types import utcnow
from coinpos.money import from_base_units, payout_breakdown
from coinpos.rates.service import DEFAULT_MAX_AGE, latest_rate
from coinpos.settlement.service import DEFAULT_FEE_BPS, OverSettlementError, SettlementError
from coinpos.stores.service import get_coin, get_store
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError


@dataclass(frozen=True)
class SettlementQuote:
    coin: str
    decimals: int
    amount: int
    available: int
    fiat: str
    rate: Decimal
    rate_id: int
    rate_observed_at: datetime
    fee_bps: int
    gross: Decimal
    fee: Decimal
    net: Decimal

    @property
    def whole(self) -> bool:
        return self.amount == self.available


def available_balances(uow: UnitOfWork, store_id: str) -> list[tuple[Coin, int]]:
    """The store's confirmed, captured and not yet settled balance of each coin it holds."""
    rows = uow.session.execute(
        select(StoreBalance, Coin)
        .join(Coin, Coin.id == StoreBalance.coin_id)
        .where(StoreBalance.store_id == store_id)
        .order_by(Coin.symbol, Coin.chain_id)
    ).tuples()
    return [(coin, balance.available) for balance, coin in rows]


def quote_settlement(
    uow: UnitOfWork,
    store_id: str,
    coin_symbol: str,
    amount: int | None = None,
    chain_id: int | None = None,
    fee_bps: int = DEFAULT_FEE_BPS,
    max_rate_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
) -> SettlementQuote:
    """`amount` in base units, None for the whole balance; refused as the request would be
    (no balance, more than the balance, a stale rate, nothing left after the fee)."""
    if amount is not None and amount <= 0:
        raise InvalidInputError(f"amount {amount} must be a positive number of base units")
    store = get_store(uow, store_id)
    coin = get_coin(uow, coin_symbol, chain_id)
    balance = uow.session.scalars(
        select(StoreBalance).where(
            StoreBalance.store_id == store.store_id, StoreBalance.coin_id == coin.id
        )
    ).one_or_none()
    available = balance.available if balance else 0
    if available <= 0:
        raise SettlementError(f"store {store.store_id} has no confirmed {coin.symbol} to settle")
    chosen = available if amount is None else amount
    if chosen > available:
        raise OverSettlementError(
            f"requested {from_base_units(chosen, coin.decimals)} {coin.symbol}, but only "
            f"{from_base_units(available, coin.decimals)} {coin.symbol} is available to settle"
        )
    rate = latest_rate(uow.session, coin.symbol, store.fiat, max_rate_age, now or utcnow())
    gross, fee, net = payout_breakdown(chosen, coin.decimals, rate.rate, store.fiat, fee_bps)
    if net <= 0:
        raise SettlementError(
            f"{from_base_units(chosen, coin.decimals)} {coin.symbol} is worth no {store.fiat} "
            f"after the fee at {rate.rate}"
        )
    return SettlementQuote(
        coin=coin.symbol,
        decimals=coin.decimals,
        amount=chosen,
        available=available,
        fiat=store.fiat,
        rate=rate.rate,
        rate_id=rate.id,
        rate_observed_at=rate.observed_at,
        fee_bps=fee_bps,
        gross=gross,
        fee=fee,
        net=net,
    )
