"""The transaction log → valid transaction path, and the store balances it drives.

Every outgoing request is logged here (pending, with an idempotency key) before anything
is sent. An entry becomes a valid transaction only through `confirm`, which the tracker
calls once the entry is deep enough and its block hash still matches the chain. Captured
store balances grow only there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coinpos.db.models import (
    StoreBalance,
    TransactionLogEntry,
    TxKind,
    TxStatus,
    ValidTransaction,
)
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError

DEFAULT_PENDING_DEADLINE = timedelta(days=1)


class LedgerError(CoinposError):
    """A log entry that cannot be recorded or confirmed."""


class DuplicateRequestError(LedgerError):
    """A request whose idempotency key was seen before; nothing is changed."""

    def __init__(self, key: str) -> None:
        super().__init__(f"request {key!r} was already made; it is not repeated")
        self.key = key


def find_entry(session: Session, key: str) -> TransactionLogEntry | None:
    return session.scalars(
        select(TransactionLogEntry).where(TransactionLogEntry.idempotency_key == key)
    ).one_or_none()


def log_request(
    session: Session,
    key: str,
    kind: TxKind,
    *,
    store_id: str | None = None,
    coin_id: int | None = None,
    amount: int | None = None,
    reference: str | None = None,
    chain_id: int | None = None,
    now: datetime | None = None,
    deadline: timedelta = DEFAULT_PENDING_DEADLINE,
) -> TransactionLogEntry:
    """Adds a pending entry to the session (the caller's unit of work commits it)."""
    if find_entry(session, key) is not None:
        raise DuplicateRequestError(key)
    now = now or utcnow()
    entry = TransactionLogEntry(
        idempotency_key=key,
        kind=kind,
        status=TxStatus.PENDING,
        store_id=store_id,
        coin_id=coin_id,
        amount=amount,
        reference=reference,
        chain_id=chain_id,
        created_at=now,
        updated_at=now,
        deadline=now + deadline,
    )
    session.add(entry)
    return entry


def store_credit(kind: TxKind, amount: int) -> int:
    """What a confirmed entry adds to its store's balance: a capture credits the store's
    share, a refund takes the refunded amount back out of it (as the escrow does), and
    nothing else touches it."""
    if kind is TxKind.CAPTURE:
        return amount
    if kind is TxKind.REFUND:
        return -amount
    return 0


def lock_balance(session: Session, store_id: str, coin_id: int) -> StoreBalance:
    """The store's balance row for a coin, created if needed, locked until commit.

    PostgreSQL: INSERT ... ON CONFLICT DO NOTHING, then SELECT ... FOR UPDATE, so concurrent
    settlements and captures of one store and coin queue on this row.
    SQLite: the INSERT takes the database write lock for the rest of the transaction, which
    serializes writers the same way (FOR UPDATE is not needed there).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    session.execute(
        insert(StoreBalance)
        .values(store_id=store_id, coin_id=coin_id, captured=0, settled=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["store_id", "coin_id"])
    )
    return session.scalars(
        select(StoreBalance)
        .where(StoreBalance.store_id == store_id, StoreBalance.coin_id == coin_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def pending_amount(session: Session, store_id: str, coin_id: int, kind: TxKind) -> int:
    """Base units in pending log entries of one kind.

    Summed in Python: uint256 columns are text on SQLite.
    """
    amounts = session.scalars(
        select(TransactionLogEntry.amount).where(
            TransactionLogEntry.store_id == store_id,
            TransactionLogEntry.coin_id == coin_id,
            TransactionLogEntry.kind == kind,
            TransactionLogEntry.status == TxStatus.PENDING,
        )
    )
    return sum(a or 0 for a in amounts)


def confirm(
    session: Session,
    entry: TransactionLogEntry,
    *,
    chain_id: int,
    tx_hash: str,
    log_index: int,
    block_number: int,
    block_hash: str,
    now: datetime | None = None,
) -> ValidTransaction:
    """Moves a pending entry to the valid transaction table; a capture credits the store."""
    if entry.status is not TxStatus.PENDING:
        raise LedgerError(f"log entry {entry.idempotency_key!r} is {entry.status}, not pending")
    # A void or a sweep moves whatever the chain holds; its entry may name no amount.
    if entry.amount is None and entry.kind not in (TxKind.VOID, TxKind.SWEEP):
        raise LedgerError(f"log entry {entry.idempotency_key!r} has no amount")
    now = now or utcnow()
    if entry.id is None:
        session.flush()
    entry.status = TxStatus.CONFIRMED
    entry.chain_id = chain_id
    entry.tx_hash = tx_hash
    entry.log_index = log_index
    entry.block_number = block_number
    entry.block_hash = block_hash
    entry.updated_at = now
    valid = ValidTransaction(
        log_entry_id=entry.id,
        kind=entry.kind,
        store_id=entry.store_id,
        coin_id=entry.coin_id,
        amount=entry.amount or 0,
        chain_id=chain_id,
        tx_hash=tx_hash,
        log_index=log_index,
        block_number=block_number,
        block_hash=block_hash,
        confirmed_at=now,
    )
    session.add(valid)
    if credit := store_credit(entry.kind, entry.amount or 0):
        if entry.store_id is None or entry.coin_id is None:
            raise LedgerError(f"{entry.kind} {entry.idempotency_key!r} names no store or coin")
        balance = lock_balance(session, entry.store_id, entry.coin_id)
        balance.captured += credit
    return valid


@dataclass(frozen=True)
class Anchored:
    """A pending entry as the tracker read it: the block it is anchored to was checked."""

    id: int
    key: str
    kind: TxKind
    store_id: str | None
    coin_id: int | None
    amount: int | None
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str


def confirm_many(
    session: Session, entries: Sequence[Anchored], chain_id: int, now: datetime
) -> None:
    """`confirm` for many pending entries at their anchors, in one UPDATE and one INSERT;
    captures credit each store's locked balance row once with their sum.

    The caller holds the entries locked (the tracker's cursor and FOR UPDATE), so they are
    still pending.
    """
    credits: dict[tuple[str, int], int] = {}
    for e in entries:
        if e.amount is None and e.kind not in (TxKind.VOID, TxKind.SWEEP):
            raise LedgerError(f"log entry {e.key!r} has no amount")
        if credit := store_credit(e.kind, e.amount or 0):
            if e.store_id is None or e.coin_id is None:
                raise LedgerError(f"{e.kind} {e.key!r} names no store or coin")
            credits[(e.store_id, e.coin_id)] = credits.get((e.store_id, e.coin_id), 0) + credit
    if not entries:
        return
    session.execute(
        update(TransactionLogEntry),
        [{"id": e.id, "status": TxStatus.CONFIRMED, "updated_at": now} for e in entries],
    )
    session.execute(
        insert(ValidTransaction),
        [
            {
                "log_entry_id": e.id,
                "kind": e.kind,
                "store_id": e.store_id,
                "coin_id": e.coin_id,
                "amount": e.amount or 0,
                "chain_id": chain_id,
                "tx_hash": e.tx_hash,
                "log_index": e.log_index,
                "block_number": e.block_number,
                "block_hash": e.block_hash,
                "confirmed_at": now,
            }
            for e in entries
        ],
    )
    for (store_id, coin_id), amount in sorted(credits.items()):
        balance = lock_balance(session, store_id, coin_id)
        balance.captured += amount


def captured_total(session: Session, store_id: str, coin_id: int) -> int:
    """Valid captures less valid refunds: the store balance's `captured` always equals it."""
    rows = session.execute(
        select(ValidTransaction.kind, ValidTransaction.amount).where(
            ValidTransaction.store_id == store_id,
            ValidTransaction.coin_id == coin_id,
            ValidTransaction.kind.in_((TxKind.CAPTURE, TxKind.REFUND)),
        )
    )
    return sum(store_credit(kind, amount) for kind, amount in rows)


def unconfirm(session: Session, entry: TransactionLogEntry, now: datetime | None = None) -> int:
    """Undoes `confirm` for an entry whose block a reorg removed: deletes its valid
    transaction, takes its credit back out of the store balance (a capture's amount, or a
    refund's negative one), and makes the entry pending again with no block. Returns the
    credit taken back (0 for entries that do not touch the store balance).

    The store balance may then be less than what was settled: settlement checks `available`
    before moving anything, and the tracker alerts staff through the outbox.
    """
    if entry.status is not TxStatus.CONFIRMED:
        raise LedgerError(f"log entry {entry.idempotency_key!r} is {entry.status}, not confirmed")
    valid = session.scalars(
        select(ValidTransaction).where(ValidTransaction.log_entry_id == entry.id)
    ).one()
    taken_back = store_credit(valid.kind, valid.amount)
    if taken_back and valid.store_id is not None and valid.coin_id is not None:
        balance = lock_balance(session, valid.store_id, valid.coin_id)
        balance.captured -= taken_back
    session.delete(valid)
    unanchor(entry, now)
    return taken_back


def unanchor(entry: TransactionLogEntry, now: datetime | None = None) -> None:
    """A pending entry whose block is no longer on the chain: it waits to be seen again. The
    block it was in is kept, so the tracker knows when its rescan has passed it."""
    if entry.block_number is not None:
        entry.detached_block = entry.block_number
    entry.status = TxStatus.PENDING
    entry.block_number = None
    entry.block_hash = None
    entry.updated_at = now or utcnow()
