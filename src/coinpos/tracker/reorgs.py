"""Reorgs: finding the fork point from the stored block hashes, detaching the entries whose
blocks left the chain, and unwinding the ones already confirmed.

An entry confirmed at depth and later reorged away (the "after" case) is unwound, not just
flagged: its valid transaction is deleted and a capture is taken back out of the store
balance, so balances keep equalling the chain. Staff get an outbox alert, since a store may
have seen "approved" for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coinpos.db.models import EthDepositSweep, TrackedBlock, TransactionLogEntry, TxStatus
from coinpos.ledger import unanchor, unconfirm
from coinpos.tracker.outbox import notify


@dataclass(frozen=True)
class Fork:
    """The highest stored block still on the chain, and the lowest one that is not."""

    base: int
    first_mismatch: int


def unanchor_entry(session: Session, entry: TransactionLogEntry, now: datetime) -> None:
    old_hash = entry.block_hash
    if entry.status is TxStatus.CONFIRMED:
        taken_back = unconfirm(session, entry, now)
        notify(
            session,
            f"unwound:{entry.id}:{old_hash}",
            "transaction_unwound",
            {
                "entry": entry.idempotency_key,
                "kind": entry.kind.value,
                "tx_hash": entry.tx_hash,
                "block_hash": old_hash,
                "store_id": entry.store_id,
                "taken_back_from_store": str(taken_back),
                "reason": "its block was reorged away after it was confirmed",
            },
            now,
        )
    else:
        unanchor(entry, now)


def find_fork(stored: Mapping[int, str], on_chain: Mapping[int, str], floor: int) -> Fork | None:
    """Compares stored hashes with the chain's; None when every one still matches.

    A block hash commits to all its ancestors, so the chain is unchanged up to the highest
    matching block below the lowest mismatch. With none stored below it, `floor` is used.
    """
    mismatched = [n for n, h in stored.items() if on_chain.get(n) != h]
    if not mismatched:
        return None
    first = min(mismatched)
    below = [n for n in stored if n < first]
    return Fork(base=max(below) if below else floor, first_mismatch=first)


def detach_after(
    session: Session, chain_id: int, target: int, on_chain: Mapping[int, str], now: datetime
) -> int:
    """Prepares a rescan from `target + 1`: detaches every entry above `target` whose block
    hash the chain no longer has, then forgets the stored hashes and the ETH sweeps above
    `target` (the rescan reads those again). Returns how many entries were detached."""
    entries = session.scalars(
        select(TransactionLogEntry)
        .where(
            TransactionLogEntry.chain_id == chain_id,
            TransactionLogEntry.block_number > target,
            TransactionLogEntry.status.in_([TxStatus.PENDING, TxStatus.CONFIRMED]),
        )
        .with_for_update()
    ).all()
    detached = 0
    for entry in entries:
        assert entry.block_number is not None
        if on_chain.get(entry.block_number) != entry.block_hash:
            unanchor_entry(session, entry, now)
            detached += 1
    session.execute(
        delete(TrackedBlock).where(TrackedBlock.chain_id == chain_id, TrackedBlock.number > target)
    )
    session.execute(
        delete(EthDepositSweep).where(
            EthDepositSweep.chain_id == chain_id, EthDepositSweep.block_number > target
        )
    )
    return detached
