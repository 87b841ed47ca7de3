"""A store's catalogue: items priced in a coin's base units, with stock."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.types import Uint256


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
