"""The transaction log (every request and every observed chain event, first, as pending)
and the valid transaction table (chain events confirmed at depth with a matching block hash).

Two sorts of entries share the log:
- what the chain did, keyed by its place on the chain (`keys.log_key`): a transfer seen at a
  deposit address (`payment`, `event` None) and every escrow event (`event` names it:
  InvoicePaid, DepositKept, PaymentCaptured, Settled, ...), whoever sent its transaction;
- the exchange's own requests (capture, void, refund, settle, sweep), keyed by the caller's
  idempotency key: they are how a request is made once and retried, and they never move a
  balance. The escrow event their transaction emits does, once it is confirmed.

Store balances and settlement are driven only by valid transactions (confirmed events).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.types import Uint256, UtcDateTime, str_enum, utcnow


class TxKind(enum.StrEnum):
    # A payer's transfer: seen at a deposit address, or a direct `pay` (event InvoicePaid).
    PAYMENT = "payment"
    # The exchange's requests.
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"
    SETTLE = "settle"
    SWEEP = "sweep"
    # What the escrow did (its confirmed events), whichever transaction emitted them.
    KEPT = "kept"  # a deposit became the payment or a top-up (DepositKept, PaymentIncreased)
    RETURNED = "returned"  # a deposit sent back to its sender (DepositReturned)
    CAPTURED = "captured"  # PaymentCaptured: `amount` captured, `released` back to the payer
    REFUNDED = "refunded"
    VOIDED = "voided"
    RECLAIMED = "reclaimed"
    RETURN_OWED = "return_owed"  # a failed return credited for its account to withdraw
    OWED_WITHDRAWN = "owed_withdrawn"
    SETTLED = "settled"  # Settled: `amount` paid out, `fee` into the fee pool, by `reference`
    FEES_WITHDRAWN = "fees_withdrawn"


# The kinds that record what the escrow did (as opposed to a transfer seen at an address, or
# a request of the exchange's).
ESCROW_EVENT_KINDS = frozenset(
    {
        TxKind.KEPT, TxKind.RETURNED, TxKind.CAPTURED, TxKind.REFUNDED, TxKind.VOIDED,
        TxKind.RECLAIMED, TxKind.RETURN_OWED, TxKind.OWED_WITHDRAWN, TxKind.SETTLED,
        TxKind.FEES_WITHDRAWN,
    }
)  # fmt: skip
REQUEST_KINDS = frozenset({TxKind.CAPTURE, TxKind.VOID, TxKind.REFUND, TxKind.SETTLE, TxKind.SWEEP})


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
    # The escrow event this entry records (None for a transfer at an address, or a request).
    event: Mapped[str | None] = mapped_column(String(32))
    # DepositKept / DepositReturned: the key of the transfer whose fate they state (the
    # attested tx hash and log index), so the deposit seen at the address is matched to it.
    attested_key: Mapped[str | None] = mapped_column(String(128))
    # PaymentCaptured: what the capture released back to the payer (held less captured).
    released: Mapped[int | None] = mapped_column(Uint256)
    # Settled: the fees moved into the fee pool; a confirmed capture: the exchange's fee.
    fee: Mapped[int | None] = mapped_column(Uint256)
    # A request is sent again under its key after a failure: the count of attempts so far
    # (the failed ones are in transaction_attempts).
    attempts: Mapped[int] = mapped_column(default=1, server_default="1")
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
    # PaymentCaptured: the payer's released part, and the fee the ledger applied (invoices.fee_bps).
    released: Mapped[int | None] = mapped_column(Uint256)
    fee: Mapped[int | None] = mapped_column(Uint256)
    confirmed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TransactionAttempt(Base):
    """A failed attempt of a request, kept when the request is retried under its key."""

    __tablename__ = "transaction_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    log_entry_id: Mapped[int] = mapped_column(ForeignKey("transaction_log.id"), index=True)
    attempt: Mapped[int]
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime)
