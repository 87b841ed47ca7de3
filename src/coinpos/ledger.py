"""The transaction log → valid transaction path, and the balances the escrow's events drive.

Two sorts of entries, one log:
- **Requests** of the exchange (capture, void, refund, settle, sweep) are logged here
  (pending, with an idempotency key) before anything is sent. They make a request happen once
  (a pending or confirmed key answers "already done") and let a failed one be sent again
  under the same key (`log_request` reuses a FAILED entry; its attempt is kept in
  transaction_attempts). The tracker confirms them at depth, but **they move no balance**.
- **Chain events**, written by the tracker and keyed by their place on the chain: a transfer
  seen at a deposit address, and every escrow event (DepositKept, PaymentCaptured, Settled,
  ...), whichever transaction emitted it. Confirmed at depth with a matching block hash, an
  event becomes a valid transaction, and only then moves balances (`_effects`):
    - PaymentCaptured: the store gets `amount - amount * fee_bps // 10_000` (the fee rounded
      down; `fee_bps` is the invoice's), the exchange's fee account the fee;
    - PaymentRefunded: the store gives back the amount refunded less the fee on it, which
      the fee account gives back (`refund_fee`: the parts of a split refund give back the
      capture's whole fee once all is refunded, so the store returns what it was credited);
    - Settled: every settlement of the batch it names moves from its store's `reserved` to
      `settled`, and the event's fees from the fee account's captured part to its settled
      part; FeesWithdrawn: out of the fee pool.
  Kept, returned, voided, reclaimed and owed amounts move no store balance; they are the
  held and owed totals `coinpos reconcile` compares with the escrow's pools.
  A reorg that removes a confirmed event (`unconfirm`) applies its effects in reverse.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coinpos.db.models import (
    FeeBalance,
    Invoice,
    Settlement,
    SettlementBatch,
    SettlementStatus,
    StoreBalance,
    TransactionAttempt,
    TransactionLogEntry,
    TxKind,
    TxStatus,
    ValidTransaction,
)
from coinpos.db.models.transactions import ESCROW_EVENT_KINDS
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError

DEFAULT_PENDING_DEADLINE = timedelta(days=1)
BPS = 10_000

# Entries that become valid transactions when confirmed: what the chain did.
CHAIN_KINDS = ESCROW_EVENT_KINDS | {TxKind.PAYMENT}


class LedgerError(CoinposError):
    """A log entry that cannot be recorded or confirmed."""


class DuplicateRequestError(LedgerError):
    """A request whose idempotency key was seen before; nothing is changed."""

    def __init__(self, key: str) -> None:
        super().__init__(f"request {key!r} was already made; it is not repeated")
        self.key = key


# -- requests --------------------------------------------------------------------------------


def find_any(session: Session, key: str) -> TransactionLogEntry | None:
    """The entry under `key`, whatever its status."""
    return session.scalars(
        select(TransactionLogEntry).where(TransactionLogEntry.idempotency_key == key)
    ).one_or_none()


def find_entry(session: Session, key: str) -> TransactionLogEntry | None:
    """The request under `key` that stands: pending or done. A FAILED entry does not stand
    (its transaction did nothing on chain), so the same key may be sent again."""
    entry = find_any(session, key)
    return None if entry is None or entry.status is TxStatus.FAILED else entry


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
    """Adds a pending entry to the session (the caller's unit of work commits it).

    A key whose request failed on chain is taken again: the failed attempt (its hash and
    reason) goes to transaction_attempts, and the entry is pending again with the new
    request's fields and deadline. A pending or confirmed key is a DuplicateRequestError.
    """
    now = now or utcnow()
    entry = find_any(session, key)
    if entry is not None and entry.status is not TxStatus.FAILED:
        raise DuplicateRequestError(key)
    if entry is not None:
        if entry.kind is not kind:
            raise LedgerError(f"request {key!r} was a {entry.kind}, not a {kind}")
        session.add(
            TransactionAttempt(
                log_entry_id=entry.id, attempt=entry.attempts, tx_hash=entry.tx_hash,
                failure_reason=entry.failure_reason, failed_at=entry.updated_at,
            )
        )  # fmt: skip
        entry.attempts += 1
        entry.status = TxStatus.PENDING
        entry.tx_hash = entry.block_hash = entry.failure_reason = None
        entry.log_index = entry.block_number = entry.detached_block = None
        entry.store_id, entry.coin_id, entry.amount = store_id, coin_id, amount
        entry.reference = reference
        entry.chain_id = chain_id if chain_id is not None else entry.chain_id
        entry.updated_at = now
        entry.deadline = now + deadline
        return entry
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
        attempts=1,
    )
    session.add(entry)
    return entry


def attempts(session: Session, entry: TransactionLogEntry) -> list[TransactionAttempt]:
    """The failed attempts of a request, oldest first."""
    return list(
        session.scalars(
            select(TransactionAttempt)
            .where(TransactionAttempt.log_entry_id == entry.id)
            .order_by(TransactionAttempt.attempt)
        )
    )


# -- balances --------------------------------------------------------------------------------


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def lock_balance(session: Session, store_id: str, coin_id: int) -> StoreBalance:
    """The store's balance row for a coin, created if needed, locked until commit.

    PostgreSQL: INSERT ... ON CONFLICT DO NOTHING, then SELECT ... FOR UPDATE, so concurrent
    settlements and captures of one store and coin queue on this row.
    SQLite: the INSERT takes the database write lock for the rest of the transaction, which
    serializes writers the same way (FOR UPDATE is not needed there).
    """
    now = utcnow()
    session.execute(
        _insert(session)(StoreBalance)
        .values(
            store_id=store_id, coin_id=coin_id, captured=0, settled=0, reserved=0, updated_at=now
        )
        .on_conflict_do_nothing(index_elements=["store_id", "coin_id"])
    )
    return session.scalars(
        select(StoreBalance)
        .where(StoreBalance.store_id == store_id, StoreBalance.coin_id == coin_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def lock_fees(session: Session, coin_id: int) -> FeeBalance:
    """The exchange's fee account for a coin, created if needed, locked until commit."""
    session.execute(
        _insert(session)(FeeBalance)
        .values(coin_id=coin_id, accrued=0, settled=0, withdrawn=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["coin_id"])
    )
    return session.scalars(
        select(FeeBalance)
        .where(FeeBalance.coin_id == coin_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def reserve(session: Session, store_id: str, coin_id: int, amount: int) -> StoreBalance:
    """A settlement request takes `amount` out of what the store may settle, until the
    escrow's Settled moves it to `settled` (or `release` gives it back)."""
    balance = lock_balance(session, store_id, coin_id)
    available = unpledged(session, balance)
    if amount > available:
        raise LedgerError(f"cannot reserve {amount}: only {available} is available")
    balance.reserved += amount
    return balance


def unpledged(session: Session, balance: StoreBalance) -> int:
    """What a settlement or a refund may still take from the store's balance: captured, less
    settled and reserved, less what the refunds requested and not yet confirmed will take
    (each less the fee that goes back with it). The escrow's captured pool is every store's,
    so only this keeps one store's refund or settlement from being paid with another's money."""
    rows = session.execute(
        select(TransactionLogEntry.amount, Invoice.fee_bps)
        .outerjoin(Invoice, Invoice.id == TransactionLogEntry.invoice_id)
        .where(
            TransactionLogEntry.store_id == balance.store_id,
            TransactionLogEntry.coin_id == balance.coin_id,
            TransactionLogEntry.kind == TxKind.REFUND,
            TransactionLogEntry.status == TxStatus.PENDING,
        )
    ).tuples()
    pending = sum(store_credit(amount or 0, fee_bps or 0) for amount, fee_bps in rows)
    return balance.available - pending


def release(session: Session, store_id: str, coin_id: int, amount: int) -> StoreBalance:
    """Gives a reservation back (its settlement will not be settled)."""
    balance = lock_balance(session, store_id, coin_id)
    balance.reserved -= amount
    return balance


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


def capture_fee(amount: int, fee_bps: int) -> int:
    """The exchange's fee on a capture: rounded down (the store keeps the remainder)."""
    return amount * fee_bps // BPS


def refund_fee(refunded_before: int, amount: int, fee_bps: int) -> int:
    """The fee that goes back with a refund of `amount` after `refunded_before` of the same
    capture was refunded: the fee on everything refunded so far less what earlier refunds
    took back. Rounding each part on its own would keep a fee on a sale refunded in full
    (150 at 1 %: a fee of 1, two refunds of 75 at 0 each) and make the store pay it."""
    return capture_fee(refunded_before + amount, fee_bps) - capture_fee(refunded_before, fee_bps)


def _refunded(session: Session, invoice_id: int) -> int:
    """The invoice's confirmed refunds."""
    total = session.scalar(
        select(func.coalesce(func.sum(TransactionLogEntry.amount), 0)).where(
            TransactionLogEntry.invoice_id == invoice_id,
            TransactionLogEntry.kind == TxKind.REFUNDED,
            TransactionLogEntry.status == TxStatus.CONFIRMED,
        )
    )
    return int(total or 0)


def store_credit(amount: int, fee_bps: int) -> int:
    """What a confirmed capture of `amount` credits the store."""
    return amount - capture_fee(amount, fee_bps)


def _fee_bps(session: Session, invoice_id: int | None) -> int:
    if invoice_id is None:
        raise LedgerError("a capture names no invoice, so no fee rate")
    bps = session.scalar(select(Invoice.fee_bps).where(Invoice.id == invoice_id))
    if bps is None:
        raise LedgerError(f"invoice {invoice_id} is not in the database")
    return int(bps)


def settlement_batch(session: Session, reference: str | None) -> SettlementBatch | None:
    """The settlement run a Settled event's reference names (None: not one of ours)."""
    if reference is None:
        return None
    return session.scalars(
        select(SettlementBatch)
        .where(SettlementBatch.reference == reference.lower())
        .with_for_update()
    ).one_or_none()


def linked_settlements(session: Session, reference: str | None) -> list[Settlement]:
    """The settlements a Settled event's reference covers: those of the batch it names."""
    batch = settlement_batch(session, reference)
    if batch is None:
        return []
    return list(
        session.scalars(
            select(Settlement)
            .where(Settlement.batch_id == batch.id)
            .order_by(Settlement.id)
            .with_for_update()
        )
    )


@dataclass
class _Deltas:
    """Balance changes of one step, applied in a fixed lock order (store, coin)."""

    store: dict[tuple[str, int], list[int]]  # captured, settled, reserved
    fees: dict[int, list[int]]  # accrued, settled, withdrawn
    settled: list[tuple[Settlement | SettlementBatch, SettlementStatus]]

    @classmethod
    def empty(cls) -> _Deltas:
        return cls(defaultdict(lambda: [0, 0, 0]), defaultdict(lambda: [0, 0, 0]), [])

    def apply(self, session: Session) -> None:
        for (store_id, coin_id), (captured, settled, reserved) in sorted(self.store.items()):
            if captured or settled or reserved:
                balance = lock_balance(session, store_id, coin_id)
                balance.captured += captured
                balance.settled += settled
                balance.reserved += reserved
        for coin_id, (accrued, fee_settled, withdrawn) in sorted(self.fees.items()):
            if accrued or fee_settled or withdrawn:
                fees = lock_fees(session, coin_id)
                fees.accrued += accrued
                fees.settled += fee_settled
                fees.withdrawn += withdrawn
        for settlement, status in self.settled:
            settlement.status = status


def _effects(
    session: Session,
    deltas: _Deltas,
    kind: TxKind,
    *,
    store_id: str | None,
    coin_id: int | None,
    amount: int,
    fee: int | None,
    reference: str | None,
    sign: int,
) -> None:
    """What one confirmed event does to the balances (`sign` -1: a reorg undoes it)."""
    if kind is TxKind.CAPTURED:
        if store_id is None or coin_id is None:
            raise LedgerError("a capture names no store or coin")
        deltas.store[(store_id, coin_id)][0] += sign * (amount - (fee or 0))
        deltas.fees[coin_id][0] += sign * (fee or 0)
    elif kind is TxKind.REFUNDED:
        # The fee on the refunded part goes back with it (`refund_fee`).
        if store_id is None or coin_id is None:
            raise LedgerError("a refund names no store or coin")
        deltas.store[(store_id, coin_id)][0] -= sign * (amount - (fee or 0))
        deltas.fees[coin_id][0] -= sign * (fee or 0)
    elif kind is TxKind.SETTLED:
        if coin_id is None:
            raise LedgerError("a settlement names no coin")
        status = SettlementStatus.SETTLED if sign > 0 else SettlementStatus.SUBMITTED
        batch = settlement_batch(session, reference)
        if batch is not None:
            deltas.settled.append((batch, status))
        for s in linked_settlements(session, reference):
            if (s.status is SettlementStatus.SETTLED) == (sign > 0):
                continue  # already moved (or, undoing, never moved)
            deltas.store[(s.store_id, s.coin_id)][1] += sign * s.amount
            deltas.store[(s.store_id, s.coin_id)][2] -= sign * s.amount
            deltas.settled.append((s, status))
        deltas.fees[coin_id][1] += sign * (fee or 0)
    elif kind is TxKind.FEES_WITHDRAWN:
        if coin_id is None:
            raise LedgerError("a fee withdrawal names no coin")
        deltas.fees[coin_id][2] += sign * amount


# -- confirmation ----------------------------------------------------------------------------


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
    log_index: int | None
    block_number: int
    block_hash: str
    invoice_id: int | None = None
    released: int | None = None
    fee: int | None = None
    reference: str | None = None


def confirm(
    session: Session,
    entry: TransactionLogEntry,
    *,
    chain_id: int,
    tx_hash: str,
    log_index: int | None,
    block_number: int,
    block_hash: str,
    now: datetime | None = None,
) -> ValidTransaction | None:
    """Confirms one pending entry at the given place (see `confirm_many`)."""
    if entry.status is not TxStatus.PENDING:
        raise LedgerError(f"log entry {entry.idempotency_key!r} is {entry.status}, not pending")
    if entry.id is None:
        session.flush()
    entry.chain_id = chain_id
    entry.tx_hash = tx_hash
    entry.log_index = log_index
    entry.block_number = block_number
    entry.block_hash = block_hash
    anchored = Anchored(
        entry.id, entry.idempotency_key, entry.kind, entry.store_id, entry.coin_id,
        entry.amount, tx_hash, log_index, block_number, block_hash, entry.invoice_id,
        entry.released, entry.fee, entry.reference,
    )  # fmt: skip
    confirm_many(session, [anchored], chain_id, now or utcnow())
    session.expire(entry)
    return session.scalars(
        select(ValidTransaction).where(ValidTransaction.log_entry_id == entry.id)
    ).one_or_none()


def confirm_many(
    session: Session, entries: Sequence[Anchored], chain_id: int, now: datetime
) -> list[Settlement]:
    """Confirms pending entries at their anchors: requests only change status; chain events
    become valid transactions, and the escrow's events move balances (each locked row once).
    Returns the settlements a confirmed Settled settled.

    The caller holds the entries locked (the tracker's cursor and FOR UPDATE), so they are
    still pending.
    """
    if not entries:
        return []
    deltas = _Deltas.empty()
    fees: dict[int, int] = {}
    refunded: dict[int, int] = {}  # by invoice: confirmed refunds, this call's included
    events = [e for e in entries if e.kind in CHAIN_KINDS]
    for e in events:
        if e.amount is None:
            raise LedgerError(f"log entry {e.key!r} has no amount")
        if e.log_index is None:
            raise LedgerError(f"chain event {e.key!r} has no log index")
        fee = e.fee
        if e.kind is TxKind.CAPTURED:
            fee = fees[e.id] = capture_fee(e.amount, _fee_bps(session, e.invoice_id))
        elif e.kind is TxKind.REFUNDED:
            if e.invoice_id is None:
                raise LedgerError("a refund names no invoice, so no fee rate")
            bps = _fee_bps(session, e.invoice_id)
            if e.invoice_id not in refunded:
                refunded[e.invoice_id] = _refunded(session, e.invoice_id)
            before = refunded[e.invoice_id]
            refunded[e.invoice_id] = before + e.amount
            fee = fees[e.id] = refund_fee(before, e.amount, bps)
        _effects(
            session, deltas, e.kind, store_id=e.store_id, coin_id=e.coin_id, amount=e.amount,
            fee=fee, reference=e.reference, sign=1,
        )  # fmt: skip
    session.execute(
        update(TransactionLogEntry),
        [
            {"id": e.id, "status": TxStatus.CONFIRMED, "updated_at": now}
            | ({"fee": fees[e.id]} if e.id in fees else {})
            for e in entries
        ],
    )
    if events:
        session.execute(
            insert(ValidTransaction),
            [
                {
                    "log_entry_id": e.id, "kind": e.kind, "store_id": e.store_id,
                    "coin_id": e.coin_id, "amount": e.amount or 0, "chain_id": chain_id,
                    "tx_hash": e.tx_hash, "log_index": e.log_index,
                    "block_number": e.block_number, "block_hash": e.block_hash,
                    "released": e.released, "fee": fees.get(e.id, e.fee), "confirmed_at": now,
                }
                for e in events
            ],
        )  # fmt: skip
    deltas.apply(session)
    return [
        s
        for s, status in deltas.settled
        if isinstance(s, Settlement) and status is SettlementStatus.SETTLED
    ]


def captured_total(session: Session, store_id: str, coin_id: int) -> int:
    """Confirmed captures (less their fee) less confirmed refunds: the store balance's
    `captured` always equals it."""
    rows = session.execute(
        select(ValidTransaction.kind, ValidTransaction.amount, ValidTransaction.fee).where(
            ValidTransaction.store_id == store_id,
            ValidTransaction.coin_id == coin_id,
            ValidTransaction.kind.in_((TxKind.CAPTURED, TxKind.REFUNDED)),
        )
    )
    return sum(
        (amount - (fee or 0)) * (1 if kind is TxKind.CAPTURED else -1) for kind, amount, fee in rows
    )


def unconfirm(session: Session, entry: TransactionLogEntry, now: datetime | None = None) -> int:
    """Undoes `confirm` for an entry whose block a reorg removed: deletes its valid
    transaction, applies its effects in reverse, and makes the entry pending again with no
    block. Returns what the store's `captured` lost (negative when it gained: a refund).

    The store balance may then be less than what was settled: settlement checks `available`
    before moving anything, and the tracker alerts staff through the outbox.
    """
    if entry.status is not TxStatus.CONFIRMED:
        raise LedgerError(f"log entry {entry.idempotency_key!r} is {entry.status}, not confirmed")
    valid = session.scalars(
        select(ValidTransaction).where(ValidTransaction.log_entry_id == entry.id)
    ).one_or_none()
    taken_back = 0
    if valid is not None:
        deltas = _Deltas.empty()
        _effects(
            session, deltas, valid.kind, store_id=valid.store_id, coin_id=valid.coin_id,
            amount=valid.amount, fee=valid.fee, reference=entry.reference, sign=-1,
        )  # fmt: skip
        if valid.store_id is not None and valid.coin_id is not None:
            taken_back = -deltas.store.get((valid.store_id, valid.coin_id), [0, 0, 0])[0]
        deltas.apply(session)
        session.delete(valid)
        if valid.kind in (TxKind.CAPTURED, TxKind.REFUNDED):
            entry.fee = None
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
