"""Pending entries become valid transactions once deep enough (or at/below the safe or
finalized block), and only while the hash stored with them is still the chain's hash at
their height. A mismatch detaches the entry instead; the caller rewinds the cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import TransactionLogEntry, TxKind, TxStatus
from coinpos.ledger import Anchored, confirm_many
from coinpos.tracker.chain import ChainReader
from coinpos.tracker.config import ConfirmationRule
from coinpos.tracker.reorgs import unanchor_entry
from coinpos.webhooks import ledger_events


@dataclass
class ConfirmResult:
    confirmed: int = 0
    detached: int = 0
    # The lowest block whose hash no longer matched, if any: the rescan starts below it.
    lowest_mismatch: int | None = None
    invoices: set[int] | None = None


def confirmable_bound(chain: ChainReader, rule: ConfirmationRule, head: int) -> int:
    """The highest block whose entries may be confirmed now."""
    if rule.depth is not None:
        return head - rule.depth + 1
    assert rule.tag is not None
    tagged = chain.tagged(rule.tag)
    return -1 if tagged is None else tagged


def confirm_ready(
    session: Session, chain: ChainReader, chain_id: int, bound: int, now: datetime
) -> ConfirmResult:
    result = ConfirmResult(invoices=set())
    entry = TransactionLogEntry
    rows = session.execute(
        select(
            entry.id, entry.idempotency_key, entry.kind, entry.store_id, entry.coin_id,
            entry.amount, entry.tx_hash, entry.log_index, entry.block_number, entry.block_hash,
            entry.invoice_id, entry.released, entry.fee, entry.reference,
        )
        .where(
            entry.chain_id == chain_id,
            entry.status == TxStatus.PENDING,
            entry.block_number.is_not(None),
            entry.block_number <= bound,
        )
        .order_by(entry.block_number, entry.id)
        .with_for_update(skip_locked=True)
    ).all()  # fmt: skip
    if not rows:
        return result
    hashes = {n: b.hash for n, b in chain.blocks({r.block_number for r in rows}).items()}
    assert result.invoices is not None
    ready: list[Anchored] = []
    for r in rows:
        if hashes.get(r.block_number) != r.block_hash:
            lowest = result.lowest_mismatch
            result.lowest_mismatch = (
                r.block_number if lowest is None else min(lowest, r.block_number)
            )
            moved = session.get(TransactionLogEntry, r.id)
            assert moved is not None
            unanchor_entry(session, moved, now)
            result.detached += 1
            continue
        ready.append(
            Anchored(
                r.id, r.idempotency_key, r.kind, r.store_id, r.coin_id, r.amount, r.tx_hash,
                r.log_index, r.block_number, r.block_hash, r.invoice_id, r.released, r.fee,
                r.reference,
            )
        )  # fmt: skip
        if r.invoice_id is not None:
            result.invoices.add(r.invoice_id)
    settled = confirm_many(session, ready, chain_id, now)
    result.confirmed = len(ready)
    # Webhooks follow the events too: a refund or a settlement whoever sent it.
    ledger_events.settlements_changed(
        session, [s.log_entry_id for s in settled], "settlement.settled", now
    )
    ledger_events.refunds_confirmed(
        session, [a.id for a in ready if a.kind is TxKind.REFUNDED], now
    )
    return result
