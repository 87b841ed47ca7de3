"""The exchange's own transactions (capture, void, refund, settle, sweep): pending log
entries the sender gave a transaction hash. Their receipts, fetched in one batch, anchor them
to a block (confirmed at depth: the request is done), or mark them failed with the decoded
reason (the key may then be sent again, see ledger.log_request). A request moves no balance:
the escrow events its transaction emitted are entries of their own (tracker.escrow_events),
so a request is anchored to its transaction only, with no log index.

An escrow event naming an entry's reference also lends it its transaction hash: that covers
a fee-bumped replacement (same nonce, new hash) and a send whose hash was never stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from coinpos.db.models import (
    REQUEST_KINDS,
    Settlement,
    SettlementStatus,
    TransactionLogEntry,
    TxKind,
    TxStatus,
)
from coinpos.tracker.chain import ChainReader, as_int
from coinpos.tracker.errors import ReplayUnavailableError
from coinpos.tracker.events import TOPICS
from coinpos.tracker.outbox import notify
from coinpos.tracker.revert import ErrorDecoder, failure_reason
from coinpos.webhooks import ledger_events

OWN_KINDS = tuple(sorted(REQUEST_KINDS))

# The event each kind emits, and the topic holding the entry's reference.
_EVENT_OF_KIND: dict[TxKind, tuple[str, int]] = {
    TxKind.CAPTURE: (TOPICS["PaymentCaptured"], 1),
    TxKind.VOID: (TOPICS["PaymentVoided"], 1),
    TxKind.REFUND: (TOPICS["PaymentRefunded"], 1),
    TxKind.SETTLE: (TOPICS["Settled"], 2),
}


@dataclass
class OutgoingResult:
    anchored: int = 0
    failed: int = 0
    adopted: int = 0


def adopt(session: Session, logs: Sequence[dict[str, Any]], now: datetime) -> int:
    adopted = 0
    for kind, (topic0, position) in _EVENT_OF_KIND.items():
        for log in logs:
            if log["topics"][0] != topic0:
                continue
            tx_hash = str(log["transactionHash"]).lower()
            candidates = session.scalars(
                select(TransactionLogEntry).where(
                    TransactionLogEntry.kind == kind,
                    TransactionLogEntry.status == TxStatus.PENDING,
                    TransactionLogEntry.block_hash.is_(None),
                    TransactionLogEntry.reference == log["topics"][position].lower(),
                )
            ).all()
            # Two pending requests on one reference (partial refunds) are left to receipts.
            if len(candidates) == 1 and candidates[0].tx_hash != tx_hash:
                candidates[0].tx_hash = tx_hash
                candidates[0].updated_at = now
                adopted += 1
    return adopted


def check_receipts(
    session: Session,
    chain: ChainReader,
    chain_id: int,
    escrow: str | None,
    decoder: ErrorDecoder,
    now: datetime,
) -> OutgoingResult:
    result = OutgoingResult()
    entries = session.scalars(
        select(TransactionLogEntry)
        .where(
            TransactionLogEntry.status == TxStatus.PENDING,
            TransactionLogEntry.kind.in_(OWN_KINDS),
            # The sender may not have named the chain; another chain's entries are not ours.
            or_(TransactionLogEntry.chain_id == chain_id, TransactionLogEntry.chain_id.is_(None)),
            TransactionLogEntry.tx_hash.is_not(None),
            TransactionLogEntry.block_hash.is_(None),
        )
        .order_by(TransactionLogEntry.id)
        .with_for_update(skip_locked=True)
    ).all()
    if not entries:
        return result
    hashes = [str(e.tx_hash) for e in entries]
    receipts = chain.receipts(hashes)
    failed = [(e, r) for e, r in zip(entries, receipts, strict=True) if r and r["status"] == "0x0"]
    txs = dict(
        zip(
            [str(e.tx_hash) for e, _ in failed],
            chain.transactions([str(e.tx_hash) for e, _ in failed]),
            strict=True,
        )
    )
    for entry, receipt in zip(entries, receipts, strict=True):
        if receipt is None:
            # Not mined (maybe dropped): it stays pending until its deadline cancels it.
            continue
        if receipt["status"] == "0x0":
            tx = txs[str(entry.tx_hash)]
            try:
                data = chain.replay(tx, as_int(receipt["blockNumber"])) if tx else b""
                reason = failure_reason(receipt, tx, data, decoder)
            except ReplayUnavailableError as exc:
                reason = f"reverted (the node could not replay it for the reason: {exc})"
            _fail(session, entry, reason, now)
            result.failed += 1
            continue
        entry.chain_id = chain_id
        entry.block_number = as_int(receipt["blockNumber"])
        entry.block_hash = str(receipt["blockHash"]).lower()
        entry.log_index = None
        entry.updated_at = now
        result.anchored += 1
    return result


def _fail(session: Session, entry: TransactionLogEntry, reason: str, now: datetime) -> None:
    entry.status = TxStatus.FAILED
    entry.failure_reason = reason
    entry.updated_at = now
    if entry.kind is TxKind.SETTLE:
        settlement = session.scalars(
            select(Settlement).where(Settlement.log_entry_id == entry.id)
        ).one_or_none()
        if settlement is not None:
            settlement.status = SettlementStatus.FAILED
            ledger_events.settlements_changed(session, [entry.id], "settlement.failed", now)
    notify(
        session,
        f"failed:{entry.id}:{entry.tx_hash}",
        "transaction_failed",
        {
            "entry": entry.idempotency_key,
            "kind": entry.kind.value,
            "tx_hash": entry.tx_hash,
            "store_id": entry.store_id,
            "reason": reason,
        },
        now,
    )
