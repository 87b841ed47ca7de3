"""Coins the exchange knows: native ETH or an ERC-20, per chain."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base


class Coin(Base):
    __tablename__ = "coins"
    __table_args__ = (
        UniqueConstraint("chain_id", "symbol"),
        CheckConstraint("decimals >= 0 AND decimals <= 36", name="decimals_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int]
    symbol: Mapped[str] = mapped_column(String(16))
    # None is the chain's native coin (ETH); otherwise the ERC-20 contract address.
    address: Mapped[str | None] = mapped_column(String(42))
    decimals: Mapped[int]
