"""The transaction log (every request and every observed chain event, first, as pending)
and the valid transaction table (entries confirmed at depth with a matching block hash).

Store balances and settlement are driven only by valid transactions.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.types import Uint256, UtcDateTime, str_enum, utcnow


class TxKind(enum.StrEnum):
    PAYMENT = "payment"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"
    SETTLE = "settle"
    SWEEP = "sweep"


class TxStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # An observed payment a reorg removed and the rescan did not find again: it was never
    # paid on the chain as it stands (failure_reason says which block it had been in).
    DROPPED = "dropped"


class TransactionLogEntry(Base):
    __tablename__ = "transaction_log"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", "log_index"),
        Index("ix_transaction_log_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A repeated request finds its first entry here instead of sending again.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[TxKind] = mapped_column(str_enum(TxKind, "tx_kind"))
    status: Mapped[TxStatus] = mapped_column(str_enum(TxStatus, "tx_status"))
    store_id: Mapped[str | None] = mapped_column(ForeignKey("stores.store_id"))
    coin_id: Mapped[int | None] = mapped_column(ForeignKey("coins.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    amount: Mapped[int | None] = mapped_column(Uint256)
    # bytes32 settlement reference or invoice hash the on-chain call is idempotent by.
    reference: Mapped[str | None] = mapped_column(String(66))
    chain_id: Mapped[int | None]
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    log_index: Mapped[int | None]
    block_number: Mapped[int | None]
    block_hash: Mapped[str | None] = mapped_column(String(66))
    # Who paid: a transaction's `from`, a Transfer's `from` topic, an InvoicePaid's payer.
    sender: Mapped[str | None] = mapped_column(String(42))
    # The block an observed payment was in when a reorg detached it; the rescan either finds
    # it again (re-anchored) or passes that block without it (dropped).
    detached_block: Mapped[int | None]
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # Past this, a pending entry is cancelled and the user notified (one day by default).
    deadline: Mapped[datetime] = mapped_column(UtcDateTime)


class ValidTransaction(Base):
    __tablename__ = "valid_transactions"
    __table_args__ = (UniqueConstraint("chain_id", "tx_hash", "log_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    log_entry_id: Mapped[int] = mapped_column(ForeignKey("transaction_log.id"), unique=True)
    kind: Mapped[TxKind] = mapped_column(str_enum(TxKind, "tx_kind"))
    store_id: Mapped[str | None] = mapped_column(ForeignKey("stores.store_id"), index=True)
    coin_id: Mapped[int | None] = mapped_column(ForeignKey("coins.id"))
    amount: Mapped[int] = mapped_column(Uint256)
    chain_id: Mapped[int]
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int]
    block_number: Mapped[int]
    block_hash: Mapped[str] = mapped_column(String(66))
    confirmed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
