"""Stores and their POS terminals.

On chain a store is only its pseudonymous bytes32 `store_id`; the name and bank details
stay here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.types import UtcDateTime, utcnow

DEFAULT_STORE_FEE_BPS = 100


class Store(Base):
    __tablename__ = "stores"

    # 0x-prefixed lowercase hex of the bytes32 storeId.
    store_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # ISO 4217 currency the store is paid out in.
    fiat: Mapped[str] = mapped_column(String(3))
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_account_number: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    # The exchange's fee on the store's captures, in basis points: an off-chain term, copied
    # to each invoice at creation (invoices.fee_bps) and applied by the ledger.
    fee_bps: Mapped[int] = mapped_column(default=DEFAULT_STORE_FEE_BPS, server_default="100")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Terminal(Base):
    __tablename__ = "terminals"
    __table_args__ = (UniqueConstraint("store_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.store_id"))
    code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
