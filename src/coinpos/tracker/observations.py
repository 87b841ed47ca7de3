"""Writing what the chain showed into the transaction log: each observed payment and each
escrow event once.

An observation's idempotency key is its transaction hash and log index (for a plain ETH
transfer, keys.ETH_VALUE_INDEX): a rescan after a crash finds the entry it wrote before, and
after a reorg the same payment in another block re-anchors its entry instead of adding one.

A payment a reorg detached and the rescan did not find again, once past the block it had
been in, is dropped with its reason: it is not pending any more (no report or status counts
it) and it never expires into an `entry_cancelled` alert. Should the transaction still be
mined later, the scan finds the dropped entry by its key and makes it pending again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from coinpos.db.models import TransactionLogEntry, TxKind, TxStatus
from coinpos.tracker.keys import log_key
from coinpos.tracker.outgoing import OWN_KINDS
from coinpos.tracker.reorgs import unanchor_entry

# SQLite allows 32,766 bound parameters; an IN list of this size stays far below it.
_IN_CHUNK = 900


@dataclass(frozen=True)
class Observation:
    """A payment or an escrow event seen on chain, not yet confirmed.

    `reference`: the invoice hash (a Settled event: its batch reference). `kind`: PAYMENT for
    a transfer to a deposit address or a direct pay, else what the escrow did (see TxKind).
    """

    key: str
    invoice_id: int | None
    store_id: str | None
    coin_id: int | None
    reference: str | None
    amount: int
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str
    late: bool = False
    sender: str | None = None
    kind: TxKind = TxKind.PAYMENT
    event: str | None = None
    attested_key: str | None = None
    released: int | None = None
    fee: int | None = None


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def record(
    session: Session,
    chain_id: int,
    observations: Sequence[Observation],
    now: datetime,
    deadline: timedelta,
) -> int:
    """Adds new observations as pending entries; re-anchors ones a reorg had detached.

    Returns how many entries were added.
    """
    if not observations:
        return 0
    keys = [o.key for o in observations]
    existing: dict[str, tuple[int, TxStatus, str | None]] = {}
    for part in _chunks(keys):
        rows = session.execute(
            select(
                TransactionLogEntry.idempotency_key,
                TransactionLogEntry.id,
                TransactionLogEntry.status,
                TransactionLogEntry.block_hash,
            ).where(TransactionLogEntry.idempotency_key.in_(part))
        )
        existing.update({key: (id_, status, bh) for key, id_, status, bh in rows})
    fresh = [o for o in observations if o.key not in existing]
    if fresh:
        session.execute(
            insert(TransactionLogEntry),
            [
                {
                    "idempotency_key": o.key,
                    "kind": o.kind,
                    "status": TxStatus.PENDING,
                    "store_id": o.store_id,
                    "coin_id": o.coin_id,
                    "invoice_id": o.invoice_id,
                    "amount": o.amount,
                    "reference": o.reference,
                    "event": o.event,
                    "attested_key": o.attested_key,
                    "released": o.released,
                    "fee": o.fee,
                    "attempts": 1,
                    "chain_id": chain_id,
                    "tx_hash": o.tx_hash,
                    "log_index": o.log_index,
                    "block_number": o.block_number,
                    "block_hash": o.block_hash,
                    "sender": o.sender,
                    "created_at": now,
                    "updated_at": now,
                    "deadline": now + deadline,
                }
                for o in fresh
            ],
        )
    for o in observations:
        seen = existing.get(o.key)
        # An entry a reorg detached (or dropped) is seen again, maybe in another block.
        if seen and seen[1] in _REANCHORED and seen[2] != o.block_hash:
            session.execute(
                update(TransactionLogEntry)
                .where(TransactionLogEntry.id == seen[0])
                .values(
                    status=TxStatus.PENDING,
                    tx_hash=o.tx_hash,
                    log_index=o.log_index,
                    block_number=o.block_number,
                    block_hash=o.block_hash,
                    detached_block=None,
                    failure_reason=None,
                    updated_at=now,
                )
            )
    return len(fresh)


_REANCHORED = (TxStatus.PENDING, TxStatus.DROPPED)


def drop_unseen(
    session: Session, chain_id: int, scanned_to: int, margin: int, now: datetime
) -> set[int]:
    """Drops the observed payments a reorg detached whose old block, plus `margin`, the scan
    has now passed without seeing them again. Returns the invoices they paid.

    The exchange's own transactions are left alone: their receipts decide, and a dropped send
    ends at its deadline like any other.
    """
    entries = session.scalars(
        select(TransactionLogEntry)
        .where(
            TransactionLogEntry.chain_id == chain_id,
            TransactionLogEntry.status == TxStatus.PENDING,
            TransactionLogEntry.kind.not_in(OWN_KINDS),
            TransactionLogEntry.block_hash.is_(None),
            TransactionLogEntry.detached_block.is_not(None),
            TransactionLogEntry.detached_block + margin <= scanned_to,
        )
        .with_for_update()
    ).all()
    for entry in entries:
        entry.status = TxStatus.DROPPED
        entry.failure_reason = (
            f"reorged out: it was in block {entry.detached_block}, and the chain that replaced "
            f"that block holds it nowhere up to block {scanned_to}"
        )
        entry.updated_at = now
    return {e.invoice_id for e in entries if e.invoice_id is not None}


def detach_removed(
    session: Session, chain_id: int, logs: Sequence[dict[str, Any]], now: datetime
) -> int:
    """Logs the node reports with `removed: true` (their block left the chain): their entries
    go back to pending with no block, and an entry already confirmed is unwound."""
    detached = 0
    for log in logs:
        if not log.get("removed"):
            continue
        key = log_key(chain_id, str(log["transactionHash"]).lower(), int(log["logIndex"], 16))
        entry = session.scalars(
            select(TransactionLogEntry).where(TransactionLogEntry.idempotency_key == key)
        ).one_or_none()
        if entry is not None and entry.block_hash == str(log["blockHash"]).lower():
            unanchor_entry(session, entry, now)
            detached += 1
    return detached
