"""The tracker's resumable cursor: the last block fully processed per chain and stream."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.types import UtcDateTime, utcnow


class TrackerCursor(Base):
    __tablename__ = "tracker_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain_id: Mapped[int]
    last_block: Mapped[int]
    # Re-checked on resume: a different hash at last_block means a reorg happened meanwhile.
    last_block_hash: Mapped[str | None] = mapped_column(String(66))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class TrackedBlock(Base):
    """The hash the tracker saw at a block height: at each scanned range's end and at every
    block it recorded an entry in. Comparing these with the chain finds a reorg's fork point.
    """

    __tablename__ = "tracked_blocks"

    chain_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(66))
    # The end of a scanned range. Ranges are consecutive, so a rescan from just after one
    # never cuts through a range an ETH balance rise was measured over.
    range_end: Mapped[bool] = mapped_column(default=False)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
