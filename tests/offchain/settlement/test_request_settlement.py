from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from coinpos.db.models import (
    Payout,
    Settlement,
    SettlementStatus,
    StoreBalance,
    TransactionLogEntry,
    TxKind,
    TxStatus,
)
from coinpos.ledger import DuplicateRequestError, captured_total
from coinpos.rates.errors import StaleRateError
from coinpos.settlement.executor import ExecutorError
from coinpos.settlement.service import (
    OverSettlementError,
    SettlementError,
    SettlementRequest,
    UnconfirmedBalanceError,
    request_settlement,
    send_requested,
    settlement_reference,
)
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from tests.offchain.settlement.conftest import NOW, Shop


class RecordingExecutor:
    """Stands in for the escrow call, recording what it was asked and whether the log
    entry was already committed when it was."""

    def __init__(self, engine: Engine, fail: bool = False) -> None:
        self.engine = engine
        self.fail = fail
        self.calls: list[tuple[str, str | None, int, str]] = []
        self.logged_before_call: list[bool] = []

    def settle(self, store_id: str, token: str | None, amount: int, reference: str) -> str:
        with UnitOfWork(self.engine) as uow:
            logged = uow.session.scalar(
                select(func.count())
                .select_from(TransactionLogEntry)
                .where(TransactionLogEntry.reference == reference)
            )
        self.logged_before_call.append(logged == 1)
        self.calls.append((store_id, token, amount, reference))
        if self.fail:
            raise ExecutorError("node unreachable")
        return "0x" + "ee" * 32


def _request(shop: Shop, key: str = "req-1", amount: int | None = None, **kw: object) -> Settlement:
    with UnitOfWork(shop.engine) as uow:
        return request_settlement(
            uow,
            SettlementRequest(shop.store.store_id, "CPW", key, amount, **kw),  # type: ignore[arg-type]
            now=NOW,
        )


def _state(engine: Engine) -> tuple[int, int, int, list[int]]:
    with UnitOfWork(engine) as uow:
        s = uow.session
        return (
            s.scalar(select(func.count()).select_from(Settlement)) or 0,
            s.scalar(select(func.count()).select_from(Payout)) or 0,
            s.scalar(
                select(func.count())
                .select_from(TransactionLogEntry)
                .where(TransactionLogEntry.kind == TxKind.SETTLE)
            )
            or 0,
            [b.settled for b in s.scalars(select(StoreBalance))],
        )


@pytest.mark.postgres
def test_partial_settlement__locks_rate_and_states_fee_and_fiat(shop: Shop) -> None:
    shop.capture(10_000_00)  # 10,000.00 CPW
    shop.rate("1.2345")
    settlement = _request(shop, amount=4_000_00, fee_bps=150)
    assert settlement.rate == Decimal("1.2345")
    assert settlement.gross_fiat == Decimal(4938)  # 4,938.0 KRW, rounded down
    assert settlement.fee_fiat == Decimal(74)  # 74.07 half-even
    assert settlement.net_fiat == Decimal(4864)
    assert settlement.reference == settlement_reference("req-1")
    with UnitOfWork(shop.engine) as uow:
        balance = uow.session.scalars(select(StoreBalance)).one()
        assert (balance.captured, balance.settled) == (10_000_00, 4_000_00)
        assert balance.captured == captured_total(uow.session, shop.store.store_id, shop.coin.id)
        payout = uow.session.scalars(select(Payout)).one()
        assert (payout.amount, payout.fiat, payout.bank_name) == (
            Decimal(4864),
            "KRW",
            "Hana Bank",
        )
        entry = uow.session.scalars(
            select(TransactionLogEntry).where(TransactionLogEntry.kind == TxKind.SETTLE)
        ).one()
        assert (entry.status, entry.amount) == (TxStatus.PENDING, 4_000_00)
        assert entry.deadline == NOW + timedelta(days=1)


def test_full_settlement__takes_the_whole_confirmed_balance(shop: Shop) -> None:
    shop.capture(300_00)
    shop.capture(200_00)
    shop.capture(999_00, confirmed=False)
    shop.rate("1000")
    settlement = _request(shop, fee_bps=0)
    assert settlement.amount == 500_00
    assert settlement.net_fiat == Decimal(500_000)


@pytest.mark.postgres
def test_same_key_twice__second_is_refused_without_change(shop: Shop) -> None:
    shop.capture(1_000_00)
    shop.rate("1")
    _request(shop, amount=100_00)
    before = _state(shop.engine)
    with pytest.raises(DuplicateRequestError, match="req-1"):
        _request(shop, amount=100_00)
    assert _state(shop.engine) == before == (1, 1, 1, [100_00])


@pytest.mark.postgres
def test_over_settlement__is_refused_without_change(shop: Shop) -> None:
    shop.capture(100_00)
    shop.rate("1")
    with pytest.raises(OverSettlementError, match=r"requested 100.01 CPW, but only 100.00"):
        _request(shop, amount=100_01)
    assert _state(shop.engine) == (0, 0, 0, [0])


def test_unconfirmed_funds__are_refused_as_unconfirmed(shop: Shop) -> None:
    shop.capture(100_00)
    shop.capture(50_00, confirmed=False)
    shop.rate("1")
    with pytest.raises(UnconfirmedBalanceError, match=r"50.00 CPW awaits confirmation"):
        _request(shop, amount=120_00)
    with pytest.raises(UnconfirmedBalanceError):
        _request(shop, key="req-2", amount=100_00 + 50_00)
    assert _state(shop.engine)[:3] == (0, 0, 0)


@pytest.mark.postgres
def test_stale_rate__is_refused_without_change(shop: Shop) -> None:
    shop.capture(100_00)
    shop.rate("1", age=timedelta(hours=2))
    with pytest.raises(StaleRateError):
        _request(shop, amount=1_00, max_rate_age=timedelta(hours=1))
    assert _state(shop.engine)[:3] == (0, 0, 0)


def test_nothing_captured__is_refused(shop: Shop) -> None:
    shop.rate("1")
    with pytest.raises(SettlementError, match="no CPW to settle"):
        _request(shop)


def test_amount_worth_nothing_after_rounding__is_refused(shop: Shop) -> None:
    shop.capture(1)
    shop.rate("0.5")  # 0.01 CPW at 0.5 KRW is 0.005 KRW: rounds down to 0
    with pytest.raises(SettlementError, match="worth no KRW"):
        _request(shop, amount=1)


def test_negative_amount__is_refused(shop: Shop) -> None:
    with pytest.raises(InvalidInputError, match="positive"):
        _request(shop, amount=-5)


@pytest.mark.postgres
def test_executor__is_called_after_the_log_entry_is_committed(shop: Shop) -> None:
    shop.capture(100_00)
    shop.rate("1")
    executor = RecordingExecutor(shop.engine)
    with UnitOfWork(shop.engine) as uow:
        request_settlement(
            uow, SettlementRequest(shop.store.store_id, "CPW", "k", 60_00), executor, now=NOW
        )
    assert executor.calls == [
        (shop.store.store_id, shop.coin.address, 60_00, settlement_reference("k"))
    ]
    assert executor.logged_before_call == [True]
    with UnitOfWork(shop.engine) as uow:
        stored = uow.session.scalars(select(Settlement)).one()
        assert stored.status is SettlementStatus.SUBMITTED
        assert stored.log_entry.tx_hash == "0x" + "ee" * 32


def test_executor_failure__keeps_the_settlement_pending_with_the_reason(shop: Shop) -> None:
    shop.capture(100_00)
    shop.rate("1")
    executor = RecordingExecutor(shop.engine, fail=True)
    with UnitOfWork(shop.engine) as uow:
        request_settlement(
            uow, SettlementRequest(shop.store.store_id, "CPW", "k", 60_00), executor, now=NOW
        )
    with UnitOfWork(shop.engine) as uow:
        stored = uow.session.scalars(select(Settlement)).one()
        assert stored.status is SettlementStatus.REQUESTED
        assert stored.log_entry.status is TxStatus.PENDING
        assert stored.log_entry.failure_reason == "send failed: node unreachable"
        assert uow.session.scalars(select(StoreBalance)).one().settled == 60_00


@contextmanager
def slow_balance_reads(engine: Engine, seconds: float = 0.3) -> Iterator[None]:
    """Pauses after every read of a store balance, so two requests surely overlap there."""

    def pause(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM store_balances" in statement:
            time.sleep(seconds)

    event.listen(engine, "after_cursor_execute", pause)
    try:
        yield
    finally:
        event.remove(engine, "after_cursor_execute", pause)


@pytest.mark.postgres
@pytest.mark.parametrize("same_key", [False, True])
def test_concurrent_requests__never_over_settle(shop: Shop, same_key: bool) -> None:
    """Two connections each ask for 70 of a 100 balance at once: exactly one wins."""
    shop.capture(100_00)
    shop.rate("1")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            _request(shop, key="same" if same_key else f"key-{n}", amount=70_00)
            outcomes.append("settled")
        except (OverSettlementError, DuplicateRequestError) as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(2)]
    with slow_balance_reads(shop.engine):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    refused = "DuplicateRequestError" if same_key else "OverSettlementError"
    assert sorted(outcomes) == sorted(["settled", refused])
    assert _state(shop.engine) == (1, 1, 1, [70_00])


@pytest.mark.postgres
def test_send_requested__resends_only_what_was_never_submitted(shop: Shop) -> None:
    shop.capture(100_00)
    shop.rate("1")
    with UnitOfWork(shop.engine) as uow:
        request_settlement(
            uow,
            SettlementRequest(shop.store.store_id, "CPW", "failed-send", 10_00),
            RecordingExecutor(shop.engine, fail=True),
            now=NOW,
        )
        request_settlement(
            uow,
            SettlementRequest(shop.store.store_id, "CPW", "sent", 20_00),
            RecordingExecutor(shop.engine),
            now=NOW,
        )
        _request(shop, key="never-sent", amount=30_00)
    executor = RecordingExecutor(shop.engine)
    with UnitOfWork(shop.engine) as uow:
        sent = send_requested(uow, executor)
    assert [s.idempotency_key for s in sent] == ["failed-send", "never-sent"]
    assert [call[3] for call in executor.calls] == [
        settlement_reference("failed-send"),
        settlement_reference("never-sent"),
    ]
    with UnitOfWork(shop.engine) as uow:
        statuses = {s.status for s in uow.session.scalars(select(Settlement))}
        assert statuses == {SettlementStatus.SUBMITTED}
        assert uow.session.scalars(select(StoreBalance)).one().settled == 60_00
