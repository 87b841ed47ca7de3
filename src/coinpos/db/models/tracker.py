"""The tracker's resumable cursor: the last block fully processed per chain and stream."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.types import Uint256, UtcDateTime, utcnow


class TrackerCursor(Base):
    __tablename__ = "tracker_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain_id: Mapped[int]
    last_block: Mapped[int]
    # Re-checked on resume: a different hash at last_block means a reorg happened meanwhile.
    last_block_hash: Mapped[str | None] = mapped_column(String(66))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # A node call that keeps failing: when it first failed, which call, the node's words,
    # and how many passes in a row failed. Cleared by the next range scanned.
    stalled_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stall_call: Mapped[str | None] = mapped_column(String(64))
    stall_error: Mapped[str | None] = mapped_column(Text)
    stall_attempts: Mapped[int] = mapped_column(default=0, server_default="0")


class TrackedBlock(Base):
    """The hash the tracker saw at a block height: at each scanned range's end and at every
    block it recorded an entry in. Comparing these with the chain finds a reorg's fork point.
    """

    __tablename__ = "tracked_blocks"

    chain_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(66))
    # The end of a scanned range. A rescan starts just after one, so it re-reads whole
    # ranges as they were first read.
    range_end: Mapped[bool] = mapped_column(default=False)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EthDepositSweep(Base):
    """ETH a sweep moved out of an invoice's deposit address, one row per escrow event. With
    the deposits recorded, it says what the address should hold now; more than that at the
    head arrived unseen (an internal transfer) and is flagged for staff."""

    __tablename__ = "eth_deposit_sweeps"

    chain_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tx_hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    log_index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    block_number: Mapped[int]
