"""A store's catalogue: items priced in a coin's base units, with stock.

An item that invoice lines name is never deleted: removing it sets `removed_at`, so it
leaves the catalogue but the invoices keep their sku and sale price.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.types import Uint256, UtcDateTime


class CatalogueItem(Base):
    __tablename__ = "catalogue_items"
    __table_args__ = (
        UniqueConstraint("store_id", "sku"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.store_id"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    coin_id: Mapped[int] = mapped_column(ForeignKey("coins.id"))
    price: Mapped[int] = mapped_column(Uint256)
    stock: Mapped[int]
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
