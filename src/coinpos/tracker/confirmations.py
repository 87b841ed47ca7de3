"""Pending entries become valid transactions once deep enough (or at/below the safe or
finalized block), and only while the hash stored with them is still the chain's hash at
their height. A mismatch detaches the entry instead; the caller rewinds the cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import Settlement, SettlementStatus, TransactionLogEntry, TxKind, TxStatus
from coinpos.ledger import confirm
from coinpos.tracker.chain import ChainReader
from coinpos.tracker.config import ConfirmationRule
from coinpos.tracker.reorgs import unanchor_entry


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
    entries = session.scalars(
        select(TransactionLogEntry)
        .where(
            TransactionLogEntry.chain_id == chain_id,
            TransactionLogEntry.status == TxStatus.PENDING,
            TransactionLogEntry.block_number.is_not(None),
            TransactionLogEntry.block_number <= bound,
        )
        .order_by(TransactionLogEntry.block_number, TransactionLogEntry.id)
        .with_for_update(skip_locked=True)
    ).all()
    if not entries:
        return result
    hashes = {
        n: b.hash
        for n, b in chain.blocks(
            {e.block_number for e in entries if e.block_number is not None}
        ).items()
    }
    assert result.invoices is not None
    for entry in entries:
        assert entry.block_number is not None and entry.block_hash is not None
        if hashes.get(entry.block_number) != entry.block_hash:
            lowest = result.lowest_mismatch
            result.lowest_mismatch = min(
                entry.block_number, lowest if lowest is not None else entry.block_number
            )
            unanchor_entry(session, entry, now)
            result.detached += 1
            continue
        assert entry.tx_hash is not None and entry.log_index is not None
        confirm(
            session,
            entry,
            chain_id=chain_id,
            tx_hash=entry.tx_hash,
            log_index=entry.log_index,
            block_number=entry.block_number,
            block_hash=entry.block_hash,
            now=now,
        )
        result.confirmed += 1
        if entry.invoice_id is not None:
            result.invoices.add(entry.invoice_id)
        if entry.kind is TxKind.SETTLE:
            settlement = session.scalars(
                select(Settlement).where(Settlement.log_entry_id == entry.id)
            ).one_or_none()
            if settlement is not None:
                settlement.status = SettlementStatus.SETTLED
    return result
