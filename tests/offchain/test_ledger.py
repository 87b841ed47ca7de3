"""The ledger: balances move only on confirmed escrow events; requests are idempotent and
a failed one can be sent again under its key."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from coinpos.db.models import (
    FeeBalance,
    Invoice,
    StoreBalance,
    TransactionAttempt,
    TransactionLogEntry,
    TxKind,
    TxStatus,
    ValidTransaction,
)
from coinpos.ledger import (
    DuplicateRequestError,
    LedgerError,
    attempts,
    captured_total,
    confirm,
    find_entry,
    log_request,
    unconfirm,
)
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.factories import make_coin, make_store

CHAIN = 31337


def _where(n: int, log_index: int | None = 0) -> dict[str, object]:
    return {
        "chain_id": CHAIN,
        "tx_hash": f"0x{n:064x}",
        "log_index": log_index,
        "block_number": n,
        "block_hash": f"0x{n + 99:064x}",
    }


def _invoice(engine: Engine, store_id: str, coin_id: int, fee_bps: int) -> int:
    now = datetime.now(UTC)
    with UnitOfWork(engine) as uow:
        invoice = Invoice(
            invoice_hash="0x" + secrets.token_hex(32), store_id=store_id, coin_id=coin_id,
            amount=10**6, pay_deadline=now, authorization_expiry=now + timedelta(days=1),
            refund_deadline=now + timedelta(days=7), fee_bps=fee_bps,
            salt="0x" + secrets.token_hex(32), payment_uri="ethereum:0x0",
        )  # fmt: skip
        uow.session.add(invoice)
        uow.commit()
        return invoice.id


def _event(
    uow: UnitOfWork, n: int, kind: TxKind, amount: int, store_id: str, coin_id: int,
    invoice_id: int | None = None,
) -> TransactionLogEntry:  # fmt: skip
    """An escrow event as the tracker records it (key: its place on the chain)."""
    entry = TransactionLogEntry(
        idempotency_key=f"log:{CHAIN}:0x{n:064x}:0", kind=kind, status=TxStatus.PENDING,
        store_id=store_id, coin_id=coin_id, invoice_id=invoice_id, amount=amount,
        event="PaymentCaptured", created_at=datetime.now(UTC), updated_at=datetime.now(UTC),
        deadline=datetime.now(UTC) + timedelta(days=1),
    )  # fmt: skip
    uow.session.add(entry)
    uow.session.flush()
    return entry


def _balances(uow: UnitOfWork) -> tuple[int, int]:
    store = uow.session.scalars(select(StoreBalance)).one_or_none()
    fees = uow.session.scalars(select(FeeBalance)).one_or_none()
    return (store.captured if store else 0, fees.accrued if fees else 0)


@pytest.mark.postgres
def test_confirmed_capture_event__credits_the_store_less_the_fee_rounded_down(
    engine: Engine,
) -> None:
    store, coin = make_store(engine), make_coin(engine)
    invoice = _invoice(engine, store.store_id, coin.id, fee_bps=250)
    with UnitOfWork(engine) as uow:
        for n, amount in enumerate([1_001, 2**70], start=1):
            entry = _event(uow, n, TxKind.CAPTURED, amount, store.store_id, coin.id, invoice)
            confirm(uow.session, entry, **_where(n))  # type: ignore[arg-type]
        uow.commit()
    with UnitOfWork(engine) as uow:
        # 1,001 * 2.5 % = 25.025: the exchange gets 25, the store the remaining 976.
        fee = 25 + 2**70 * 250 // 10_000
        assert _balances(uow) == (1_001 + 2**70 - fee, fee)
        assert captured_total(uow.session, store.store_id, coin.id) == 1_001 + 2**70 - fee
        assert len(uow.session.scalars(select(ValidTransaction)).all()) == 2


@pytest.mark.postgres
def test_capture_event_reorged_out__gives_back_the_store_credit_and_the_fee(
    engine: Engine,
) -> None:
    store, coin = make_store(engine), make_coin(engine)
    invoice = _invoice(engine, store.store_id, coin.id, fee_bps=100)
    with UnitOfWork(engine) as uow:
        capture = _event(uow, 1, TxKind.CAPTURED, 500, store.store_id, coin.id, invoice)
        refund = _event(uow, 2, TxKind.REFUNDED, 200, store.store_id, coin.id, invoice)
        confirm(uow.session, capture, **_where(1))  # type: ignore[arg-type]
        confirm(uow.session, refund, **_where(2))  # type: ignore[arg-type]
        uow.commit()
        # The refund gives back its fee (1 % of 200, rounded down) with it.
        assert _balances(uow) == (495 - (200 - 2), 5 - 2)

        assert unconfirm(uow.session, refund) == -(200 - 2)
        uow.commit()
        assert _balances(uow) == (495, 5)
        assert unconfirm(uow.session, capture) == 495
        uow.commit()
        assert _balances(uow) == (0, 0)
        assert uow.session.scalars(select(ValidTransaction)).all() == []


@pytest.mark.postgres
def test_confirmed_capture_request__moves_no_balance(engine: Engine) -> None:
    """The exchange's own request only says the call was made; the event credits."""
    store, coin = make_store(engine), make_coin(engine)
    with UnitOfWork(engine) as uow:
        entry = log_request(
            uow.session, "capture:x", TxKind.CAPTURE, store_id=store.store_id, coin_id=coin.id,
            amount=1_000,
        )  # fmt: skip
        confirm(uow.session, entry, **_where(1, log_index=None))  # type: ignore[arg-type]
        uow.commit()
        assert entry.status is TxStatus.CONFIRMED
        assert _balances(uow) == (0, 0)
        assert uow.session.scalars(select(ValidTransaction)).all() == []


def test_log_request__same_key_twice__is_refused(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        log_request(uow.session, "k", TxKind.SWEEP)
        uow.commit()
        with pytest.raises(DuplicateRequestError, match="'k'"):
            log_request(uow.session, "k", TxKind.SWEEP)


def test_log_request__confirmed_key__is_still_already_done(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        entry = log_request(uow.session, "k", TxKind.VOID)
        confirm(uow.session, entry, **_where(1, log_index=None))  # type: ignore[arg-type]
        uow.commit()
        assert find_entry(uow.session, "k") is not None
        with pytest.raises(DuplicateRequestError):
            log_request(uow.session, "k", TxKind.VOID)


@pytest.mark.postgres
def test_log_request__failed_key__is_reused_pending_and_the_failed_attempt_kept(
    engine: Engine,
) -> None:
    with UnitOfWork(engine) as uow:
        entry = log_request(uow.session, "capture:inv", TxKind.CAPTURE, amount=5)
        entry.tx_hash = "0x" + "ab" * 32
        entry.status = TxStatus.FAILED
        entry.failure_reason = "reverted with PaymentEscrowNotHeld"
        uow.commit()
        first_id = entry.id

    with UnitOfWork(engine) as uow:
        assert find_entry(uow.session, "capture:inv") is None  # a failure does not stand
        again = log_request(uow.session, "capture:inv", TxKind.CAPTURE, amount=7)
        uow.commit()
        assert (again.id, again.status, again.attempts) == (first_id, TxStatus.PENDING, 2)
        assert (again.tx_hash, again.failure_reason, again.amount) == (None, None, 7)
        [attempt] = attempts(uow.session, again)
        assert (attempt.attempt, attempt.tx_hash) == (1, "0x" + "ab" * 32)
        assert attempt.failure_reason == "reverted with PaymentEscrowNotHeld"
        # Pending again, the key answers "already done" like any other.
        with pytest.raises(DuplicateRequestError):
            log_request(uow.session, "capture:inv", TxKind.CAPTURE, amount=7)
        assert len(uow.session.scalars(select(TransactionAttempt)).all()) == 1


def test_log_request__failed_key_of_another_kind__is_refused(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        entry = log_request(uow.session, "k", TxKind.REFUND, amount=1)
        entry.status = TxStatus.FAILED
        uow.commit()
        with pytest.raises(LedgerError, match="was a refund, not a capture"):
            log_request(uow.session, "k", TxKind.CAPTURE, amount=1)


def test_confirm__an_entry_already_confirmed__is_refused(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        entry = log_request(uow.session, "k", TxKind.PAYMENT, amount=1)
        confirm(uow.session, entry, **_where(1))  # type: ignore[arg-type]
        assert entry.status is TxStatus.CONFIRMED
        with pytest.raises(LedgerError, match="confirmed, not pending"):
            confirm(uow.session, entry, **_where(2))  # type: ignore[arg-type]


@pytest.mark.postgres
def test_same_chain_event_twice__is_refused_by_the_database(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        first = log_request(uow.session, "a", TxKind.PAYMENT, amount=1)
        second = log_request(uow.session, "b", TxKind.PAYMENT, amount=1)
        confirm(uow.session, first, **_where(7))  # type: ignore[arg-type]
        with pytest.raises(IntegrityError):
            confirm(uow.session, second, **_where(7))  # type: ignore[arg-type]
            uow.commit()
