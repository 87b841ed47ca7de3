"""Fiat deposits: the recorded bank payments the exchange issues e-money against."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.models.settlements import FIAT_PRECISION, FIAT_SCALE
from coinpos.db.types import ExactDecimal, Uint256, UtcDateTime, str_enum, utcnow


class FiatDepositStatus(enum.StrEnum):
    PENDING = "pending"
    MINTED = "minted"
    FAILED = "failed"


class FiatDeposit(Base):
    """One bank payment; its reference is the idempotency key of the e-money it buys."""

    __tablename__ = "fiat_deposits"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    coin_id: Mapped[int] = mapped_column(ForeignKey("coins.id"))
    # Where the e-money goes: a MultiCoinWallet (deployed or predicted) or any address.
    wallet_address: Mapped[str] = mapped_column(String(42))
    fiat: Mapped[str] = mapped_column(String(3))
    fiat_amount: Mapped[Decimal] = mapped_column(ExactDecimal(FIAT_PRECISION, FIAT_SCALE))
    amount: Mapped[int] = mapped_column(Uint256)
    bank_reference: Mapped[str] = mapped_column(String(100), unique=True)
    # keccak256 of the bank reference: the `reference_` of EMoney.mint and its Issued event.
    mint_reference: Mapped[str] = mapped_column(String(66), unique=True)
    status: Mapped[FiatDepositStatus] = mapped_column(
        str_enum(FiatDepositStatus, "fiat_deposit_status")
    )
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
