"""Settlement requests: a store turns captured coins into a fiat payout.

One request, one unit of work, in this order:
1. refuse a repeated idempotency key (nothing changes);
2. lock the rate: the newest rate no older than the maximum age, or StaleRateError;
3. lock the store's balance row for the coin (see coinpos.ledger.lock_balance), so two
   concurrent requests cannot both spend it;
4. refuse more than the confirmed, captured balance (funds still pending confirmation are
   reported as unconfirmed, not as missing);
5. write the settlement, its payout and its pending log entry, reserve the amount in the
   store's balance (the ledger moves it to settled when the escrow's Settled is confirmed),
   commit.

Nothing is sent per request: a store's own settle call would put one store's sum on chain,
which an observer could match against a subset of captures. A settlement run
(coinpos.settlement.batches.run_settlements, `coinpos settle send`) sends the requests of
every store, one `settle(token, payout, fees, reference)` per coin.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from coinpos.db.models import (
    Payout,
    PayoutStatus,
    Settlement,
    SettlementStatus,
    TxKind,
)
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError
from coinpos.ledger import (
    DuplicateRequestError,
    find_entry,
    lock_balance,
    log_request,
    pending_amount,
    unpledged,
)
from coinpos.money import BPS_DENOMINATOR, from_base_units, payout_breakdown
from coinpos.rates.service import DEFAULT_MAX_AGE, latest_rate
from coinpos.stores.service import get_coin, get_store
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError, non_empty

DEFAULT_FEE_BPS = 100


class SettlementError(CoinposError):
    """A settlement request that is refused; nothing is written."""


class OverSettlementError(SettlementError):
    pass


class UnconfirmedBalanceError(SettlementError):
    pass


@dataclass(frozen=True)
class SettlementRequest:
    store_id: str
    coin: str
    idempotency_key: str
    # None settles the whole confirmed balance.
    amount: int | None = None
    fee_bps: int = DEFAULT_FEE_BPS
    max_rate_age: timedelta = DEFAULT_MAX_AGE
    chain_id: int | None = None


def settlement_reference(idempotency_key: str) -> str:
    """The request's bytes32 id, derived from its key (shown to the store, never on chain:
    the chain sees its batch's reference)."""
    digest = hashlib.sha256(f"coinpos-settlement:{idempotency_key}".encode()).hexdigest()
    return "0x" + digest


def _log_key(idempotency_key: str) -> str:
    return f"settle:{idempotency_key}"


def request_settlement(
    uow: UnitOfWork,
    request: SettlementRequest,
    now: datetime | None = None,
) -> Settlement:
    """Records a settlement and its payout; it stays `requested` until a settlement run puts
    it in its coin's batch and sends the batch."""
    now = now or utcnow()
    key = non_empty(request.idempotency_key, "idempotency key", 100)
    if request.amount is not None and request.amount <= 0:
        raise InvalidInputError(f"amount {request.amount} must be a positive number of base units")
    if not 0 <= request.fee_bps <= BPS_DENOMINATOR:
        raise InvalidInputError(f"fee {request.fee_bps} bps outside 0..{BPS_DENOMINATOR}")
    session = uow.session
    if find_entry(session, _log_key(key)) is not None:
        raise DuplicateRequestError(_log_key(key))
    store = get_store(uow, request.store_id)
    coin = get_coin(uow, request.coin, request.chain_id)
    rate = latest_rate(session, coin.symbol, store.fiat, request.max_rate_age, now)

    balance = lock_balance(session, store.store_id, coin.id)
    # Checked under the lock: a concurrent request with the same key has committed by now.
    entry = log_request(
        session,
        _log_key(key),
        TxKind.SETTLE,
        store_id=store.store_id,
        coin_id=coin.id,
        reference=settlement_reference(key),
        chain_id=coin.chain_id,
        now=now,
    )
    available = unpledged(session, balance)
    amount = available if request.amount is None else request.amount
    if amount > available or amount == 0:
        unconfirmed = pending_amount(session, store.store_id, coin.id, TxKind.CAPTURED)
        shown = from_base_units(available, coin.decimals)
        if amount == 0 and unconfirmed == 0:
            raise SettlementError(f"store {store.store_id} has no {coin.symbol} to settle")
        if amount == 0 or amount <= available + unconfirmed:
            raise UnconfirmedBalanceError(
                f"only {shown} {coin.symbol} is confirmed and captured; "
                f"{from_base_units(unconfirmed, coin.decimals)} {coin.symbol} awaits confirmation"
            )
        raise OverSettlementError(
            f"requested {from_base_units(amount, coin.decimals)} {coin.symbol}, "
            f"but only {shown} {coin.symbol} is available to settle"
        )
    gross, fee, net = payout_breakdown(
        amount, coin.decimals, rate.rate, store.fiat, request.fee_bps
    )
    if net <= 0:
        raise SettlementError(
            f"{from_base_units(amount, coin.decimals)} {coin.symbol} is worth no {store.fiat} "
            f"after the fee at {rate.rate}"
        )
    entry.amount = amount
    settlement = Settlement(
        idempotency_key=key,
        reference=entry.reference,
        store_id=store.store_id,
        coin_id=coin.id,
        amount=amount,
        fiat=store.fiat,
        rate_id=rate.id,
        rate=rate.rate,
        fee_bps=request.fee_bps,
        gross_fiat=gross,
        fee_fiat=fee,
        net_fiat=net,
        status=SettlementStatus.REQUESTED,
        log_entry=entry,
        requested_at=now,
    )
    session.add(settlement)
    session.add(
        Payout(
            settlement=settlement,
            store_id=store.store_id,
            fiat=store.fiat,
            amount=net,
            bank_name=store.bank_name,
            bank_account_number=store.bank_account_number,
            status=PayoutStatus.PENDING,
            created_at=now,
        )
    )
    # Reserved, not settled: the ledger moves it when the batch's Settled is confirmed.
    balance.reserved += amount
    try:
        uow.commit()
    except IntegrityError:
        # Another request with this key won the race between our check and our commit.
        uow.rollback()
        raise DuplicateRequestError(_log_key(key)) from None
    return settlement
