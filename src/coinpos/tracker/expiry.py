"""Pending entries past their deadline (one day by default) are cancelled, and the user is
told through the outbox. A dropped transaction ends here: it never gets a receipt.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import TransactionLogEntry, TxStatus
from coinpos.tracker.outbox import notify
from coinpos.tracker.outgoing import OWN_KINDS


def cancel_overdue(session: Session, now: datetime) -> tuple[int, set[int]]:
    """Returns how many entries were cancelled, and the invoices they paid."""
    entries = session.scalars(
        select(TransactionLogEntry)
        .where(TransactionLogEntry.status == TxStatus.PENDING, TransactionLogEntry.deadline < now)
        .order_by(TransactionLogEntry.id)
        .with_for_update(skip_locked=True)
    ).all()
    invoices: set[int] = set()
    for entry in entries:
        entry.status = TxStatus.CANCELLED
        reason = f"not confirmed by its deadline {entry.deadline.isoformat()}"
        if entry.kind in OWN_KINDS and entry.block_hash is None and entry.tx_hash is not None:
            reason += "; the transaction was never mined or was dropped"
        entry.failure_reason = reason
        entry.updated_at = now
        if entry.invoice_id is not None:
            invoices.add(entry.invoice_id)
        notify(
            session,
            f"cancelled:{entry.id}",
            "entry_cancelled",
            {
                "entry": entry.idempotency_key,
                "kind": entry.kind.value,
                "tx_hash": entry.tx_hash,
                "store_id": entry.store_id,
                "amount": None if entry.amount is None else str(entry.amount),
                "reason": entry.failure_reason,
            },
            now,
        )
    return len(entries), invoices
