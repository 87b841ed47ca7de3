"""Settlement requests: a store turns captured coins into a fiat payout.

One request, one unit of work, in this order:
1. refuse a repeated idempotency key (nothing changes);
2. lock the rate: the newest rate no older than the maximum age, or StaleRateError;
3. lock the store's balance row for the coin (see coinpos.ledger.lock_balance), so two
   concurrent requests cannot both spend it;
4. refuse more than the confirmed, captured balance (funds still pending confirmation are
   reported as unconfirmed, not as missing);
5. write the settlement, its payout and its pending log entry, mark the amount settled,
   commit;
6. only then call the executor, and record the transaction hash it returns.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

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
)
from coinpos.money import BPS_DENOMINATOR, from_base_units, payout_breakdown
from coinpos.rates.service import DEFAULT_MAX_AGE, latest_rate
from coinpos.settlement.executor import ExecutorError, SettlementExecutor
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
    """The bytes32 reference the escrow is idempotent by, derived from the request's key."""
    digest = hashlib.sha256(f"coinpos-settlement:{idempotency_key}".encode()).hexdigest()
    return "0x" + digest


def _log_key(idempotency_key: str) -> str:
    return f"settle:{idempotency_key}"


def request_settlement(
    uow: UnitOfWork,
    request: SettlementRequest,
    executor: SettlementExecutor | None = None,
    now: datetime | None = None,
) -> Settlement:
    """Records a settlement and its payout, then sends it through `executor` if given.

    Without an executor the settlement stays `requested`, its log entry pending, to be sent
    later; that is also where it stays when the executor fails, since the call may have
    reached the chain and the escrow refuses the same reference twice.
    """
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
    available = balance.available
    amount = available if request.amount is None else request.amount
    if amount > available or amount == 0:
        unconfirmed = pending_amount(session, store.store_id, coin.id, TxKind.CAPTURE)
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
    balance.settled += amount
    try:
        uow.commit()
    except IntegrityError:
        # Another request with this key won the race between our check and our commit.
        uow.rollback()
        raise DuplicateRequestError(_log_key(key)) from None

    if executor is not None:
        _send(uow, settlement, executor, coin.address)
    return settlement


def send_requested(uow: UnitOfWork, executor: SettlementExecutor) -> list[Settlement]:
    """Sends every settlement still `requested` (never sent, or its send failed).

    Resending is safe: the escrow refuses a reference it has already settled.
    Returns the settlements that are now submitted.
    """
    waiting = uow.session.scalars(
        select(Settlement)
        .where(Settlement.status == SettlementStatus.REQUESTED)
        .options(joinedload(Settlement.coin))
        .order_by(Settlement.id)
    ).all()
    for settlement in waiting:
        _send(uow, settlement, executor, settlement.coin.address)
    return [s for s in waiting if s.status is SettlementStatus.SUBMITTED]


def _send(
    uow: UnitOfWork, settlement: Settlement, executor: SettlementExecutor, token: str | None
) -> None:
    entry = settlement.log_entry
    try:
        tx_hash = executor.settle(
            settlement.store_id, token, settlement.amount, settlement.reference
        )
    except ExecutorError as exc:
        entry.failure_reason = f"send failed: {exc}"
        uow.commit()
        return
    entry.tx_hash = tx_hash
    entry.failure_reason = None
    settlement.status = SettlementStatus.SUBMITTED
    uow.commit()
