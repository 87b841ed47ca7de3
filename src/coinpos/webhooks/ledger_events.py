"""Webhook events for money the ledger moved: a refund confirmed on chain, a settlement
settled or failed. The tracker calls these in the transaction that records the change.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import Coin, Invoice, Settlement, TransactionLogEntry
from coinpos.webhooks.events import NewEvent, publish


def refunds_confirmed(session: Session, entry_ids: Collection[int], now: datetime) -> None:
    """`payment.refunded` for confirmed refund entries (a reconfirmation after a reorg is
    the same event)."""
    if not entry_ids:
        return
    rows = session.execute(
        select(
            TransactionLogEntry.id, TransactionLogEntry.store_id, TransactionLogEntry.amount,
            TransactionLogEntry.tx_hash, Invoice.id, Invoice.invoice_hash, Coin.symbol,
        )
        .outerjoin(Invoice, Invoice.id == TransactionLogEntry.invoice_id)
        .outerjoin(Coin, Coin.id == TransactionLogEntry.coin_id)
        .where(TransactionLogEntry.id.in_(sorted(entry_ids)))
    ).tuples()  # fmt: skip
    publish(
        session,
        [
            NewEvent(
                f"refund:{entry_id}",
                store_id,
                "payment.refunded",
                {
                    "invoice": {"id": invoice_id, "invoice_hash": invoice_hash},
                    "coin": symbol,
                    "amount": str(amount or 0),
                    "tx_hash": tx_hash,
                },
            )
            for entry_id, store_id, amount, tx_hash, invoice_id, invoice_hash, symbol in rows
            if store_id is not None
        ],
        now,
    )


def settlements_changed(
    session: Session, log_entry_ids: Collection[int], kind: str, now: datetime
) -> None:
    """`settlement.settled` or `settlement.failed` for the settlements of these entries."""
    if not log_entry_ids:
        return
    rows = session.execute(
        select(Settlement, TransactionLogEntry.tx_hash, Coin.symbol)
        .join(TransactionLogEntry, TransactionLogEntry.id == Settlement.log_entry_id)
        .join(Coin, Coin.id == Settlement.coin_id)
        .where(Settlement.log_entry_id.in_(sorted(log_entry_ids)))
    ).tuples()
    publish(
        session,
        [
            NewEvent(
                f"settlement:{s.id}:{kind}",
                s.store_id,
                kind,
                {
                    "settlement": {
                        "id": s.id,
                        "reference": s.reference,
                        "coin": symbol,
                        "amount": str(s.amount),
                        "fiat": s.fiat,
                        "rate": str(s.rate),
                        "net_fiat": str(s.net_fiat),
                        "tx_hash": tx_hash,
                    }
                },
            )
            for s, tx_hash, symbol in rows
        ],
        now,
    )
