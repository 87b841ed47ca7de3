from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
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
from coinpos.settlement.batches import BatchResult, run_settlements
from coinpos.settlement.executor import BatchCall, ExecutorError
from coinpos.settlement.service import (
    OverSettlementError,
    SettlementError,
    SettlementRequest,
    UnconfirmedBalanceError,
    request_settlement,
    settlement_reference,
)
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from tests.offchain.factories import confirmed_capture
from tests.offchain.settlement.conftest import NOW, Shop


class RecordingExecutor:
    """Stands in for the escrow call, recording what it was asked and whether the batch's
    log entry was already committed when it was."""

    def __init__(self, engine: Engine, fail: bool = False, on_chain: bool = False) -> None:
        self.engine = engine
        self.fail, self.on_chain = fail, on_chain
        self.calls: list[BatchCall] = []
        self.logged_before_call: list[bool] = []

    def settle(self, uow: UnitOfWork, call: BatchCall) -> str:
        with UnitOfWork(self.engine) as other:
            logged = other.session.scalar(
                select(func.count())
                .select_from(TransactionLogEntry)
                .where(TransactionLogEntry.reference == call.reference)
            )
        self.logged_before_call.append(logged == 1)
        self.calls.append(call)
        if self.fail:
            raise ExecutorError("node unreachable", on_chain=self.on_chain)
        return "0x" + "ee" * 32


def _run(shop: Shop, executor: RecordingExecutor) -> list[BatchResult]:
    with UnitOfWork(shop.engine) as uow:
        return run_settlements(uow, executor, now=NOW)


def _request(shop: Shop, key: str = "req-1", amount: int | None = None, **kw: object) -> Settlement:
    with UnitOfWork(shop.engine) as uow:
        return request_settlement(
            uow,
            SettlementRequest(shop.store.store_id, shop.coin.symbol, key, amount, **kw),  # type: ignore[arg-type]
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
            [b.reserved for b in s.scalars(select(StoreBalance))],
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
        # Reserved until the batch's Settled is confirmed (the ledger moves it to settled).
        assert (balance.captured, balance.reserved, balance.settled) == (10_000_00, 4_000_00, 0)
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
def test_run__the_batch_is_logged_before_the_executor_is_called(shop: Shop) -> None:
    shop.capture(100_00)
    shop.rate("1")
    _request(shop, key="k", amount=60_00)
    executor = RecordingExecutor(shop.engine)
    (result,) = _run(shop, executor)
    [call] = executor.calls
    assert (call.token, call.payout, call.fees) == (shop.coin.address, 60_00, 0)
    assert call.reference == result.reference != settlement_reference("k")
    assert executor.logged_before_call == [True]
    with UnitOfWork(shop.engine) as uow:
        stored = uow.session.scalars(select(Settlement)).one()
        assert stored.status is SettlementStatus.SUBMITTED
        assert stored.batch is not None and stored.batch.reference == result.reference
        assert stored.log_entry.tx_hash == stored.batch.log_entry.tx_hash == "0x" + "ee" * 32


def test_run__two_stores_and_two_coins__one_batch_per_coin_carrying_every_store(
    make_shop: Callable[..., Shop],
) -> None:
    from coinpos.stores.service import add_coin
    from tests.offchain.factories import make_store

    cafe = make_shop()
    books = Shop(make_store(cafe.engine, name="Books"), cafe.coin, cafe.engine)
    with UnitOfWork(cafe.engine) as uow:
        usdx = add_coin(uow, "USDX", 31337, 2, "0x" + "22" * 20)
    usd = Shop(cafe.store, usdx, cafe.engine)
    for shop, amount in ((cafe, 100_00), (books, 50_00), (usd, 7_00)):
        shop.capture(amount)
    cafe.rate("1")
    usd.rate("1")
    for n, (shop, amount) in enumerate(((cafe, 60_00), (books, 50_00), (usd, 7_00), (cafe, 1_00))):
        _request(shop, key=f"k-{n}", amount=amount)
    executor = RecordingExecutor(cafe.engine)
    results = _run(cafe, executor)
    by_coin = {r.coin: (r.settlements, r.stores, r.payout) for r in results}
    assert by_coin == {cafe.coin.symbol: (3, 2, 111_00), usd.coin.symbol: (1, 1, 7_00)}
    assert len(executor.calls) == 2 and len({c.reference for c in executor.calls}) == 2
    assert _run(cafe, executor) == [] and len(executor.calls) == 2


def test_run__fees_of_confirmed_captures__carried_once_per_store(
    make_shop: Callable[..., Shop],
) -> None:
    shop = make_shop()
    confirmed_capture(shop.engine, shop.store.store_id, shop.coin.id, 100_00, fee_bps=250)
    shop.rate("1")
    _request(shop, key="a", amount=50_00)
    _request(shop, key="b", amount=10_00)
    executor = RecordingExecutor(shop.engine)
    (first,) = _run(shop, executor)
    assert (first.payout, first.fees) == (60_00, 2_50)  # 2.5 % of 100.00, rounded down
    # A later run carries only fees accrued since.
    confirmed_capture(shop.engine, shop.store.store_id, shop.coin.id, 10_00, fee_bps=250)
    _request(shop, key="c", amount=1_00)
    (second,) = _run(shop, executor)
    assert (second.payout, second.fees) == (1_00, 25)


def test_run__send_failed_before_the_chain__same_batch_sent_by_the_next_run(shop: Shop) -> None:
    shop.capture(100_00)
    shop.rate("1")
    _request(shop, key="k", amount=60_00)
    (failed,) = _run(shop, RecordingExecutor(shop.engine, fail=True))
    assert failed.status is SettlementStatus.REQUESTED and failed.error == "node unreachable"
    with UnitOfWork(shop.engine) as uow:
        stored = uow.session.scalars(select(Settlement)).one()
        assert stored.status is SettlementStatus.REQUESTED
        assert stored.batch is not None
        assert stored.batch.log_entry.failure_reason == "send failed: node unreachable"
        assert uow.session.scalars(select(StoreBalance)).one().reserved == 60_00
    executor = RecordingExecutor(shop.engine)
    (resent,) = _run(shop, executor)
    assert resent.reference == failed.reference and resent.status is SettlementStatus.SUBMITTED


def test_run__failed_on_chain__settlements_wait_for_a_new_batch(shop: Shop) -> None:
    shop.capture(100_00)
    shop.rate("1")
    _request(shop, key="k", amount=60_00)
    (failed,) = _run(shop, RecordingExecutor(shop.engine, fail=True, on_chain=True))
    assert failed.status is SettlementStatus.FAILED
    with UnitOfWork(shop.engine) as uow:
        stored = uow.session.scalars(select(Settlement)).one()
        assert (stored.status, stored.batch_id) == (SettlementStatus.REQUESTED, None)
    (resent,) = _run(shop, RecordingExecutor(shop.engine))
    assert resent.reference != failed.reference and resent.status is SettlementStatus.SUBMITTED


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
