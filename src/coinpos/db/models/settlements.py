"""Store balances (captured minus settled, per coin), settlements and fiat payouts."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coinpos.db.base import Base
from coinpos.db.models.coins import Coin
from coinpos.db.models.transactions import TransactionLogEntry
from coinpos.db.types import ExactDecimal, Uint256, UtcDateTime, str_enum, utcnow

FIAT_PRECISION = 30
FIAT_SCALE = 4


class StoreBalance(Base):
    """Per store and coin, from confirmed escrow events only: `captured` (captures less the
    exchange's fee, less refunds), `settled` (what confirmed Settled events paid out), and
    `reserved` (settlement requests made and not yet settled on chain, so that two requests
    cannot spend the same balance).

    Settlement locks this row (SELECT ... FOR UPDATE on PostgreSQL) so that two requests
    cannot both spend the same balance.
    """

    __tablename__ = "store_balances"
    __table_args__ = (UniqueConstraint("store_id", "coin_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.store_id"))
    coin_id: Mapped[int] = mapped_column(ForeignKey("coins.id"))
    captured: Mapped[int] = mapped_column(Uint256, default=0)
    settled: Mapped[int] = mapped_column(Uint256, default=0)
    reserved: Mapped[int] = mapped_column(Uint256, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    @property
    def available(self) -> int:
        return self.captured - self.settled - self.reserved


class FeeBalance(Base):
    """The exchange's fee account, per coin: fees of confirmed captures (`accrued`), the part
    confirmed Settled events moved into the escrow's fee pool (`settled`), and what the admin
    withdrew from that pool (`withdrawn`). accrued - settled is still in the captured pool."""

    __tablename__ = "fee_balances"

    coin_id: Mapped[int] = mapped_column(ForeignKey("coins.id"), primary_key=True)
    accrued: Mapped[int] = mapped_column(Uint256, default=0)
    settled: Mapped[int] = mapped_column(Uint256, default=0)
    withdrawn: Mapped[int] = mapped_column(Uint256, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class SettlementStatus(enum.StrEnum):
    REQUESTED = "requested"
    SUBMITTED = "submitted"
    SETTLED = "settled"
    FAILED = "failed"


class SettlementBatch(Base):
    """One on-chain `settle(token, payout, fees, reference)`: every settlement of one coin
    requested before a settlement run, of every store, in one call.

    The reference commits to the batch without naming a store: keccak256(abi.encode(batchId,
    salt)), both 32 random bytes kept here. `payout` is the sum of its settlements' amounts;
    `fees` the exchange's fees those stores accrued on their confirmed captures (their
    settlements' `fee_units`), moved into the escrow's fee pool by the same call. Its status
    follows the log entry of the call and, once its `Settled` event is confirmed, the ledger
    marks it and its settlements settled.
    """

    __tablename__ = "settlement_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(66), unique=True)
    salt: Mapped[str] = mapped_column(String(66))
    reference: Mapped[str] = mapped_column(String(66), unique=True)
    coin_id: Mapped[int] = mapped_column(ForeignKey("coins.id"))
    payout: Mapped[int] = mapped_column(Uint256)
    fees: Mapped[int] = mapped_column(Uint256)
    status: Mapped[SettlementStatus] = mapped_column(
        str_enum(SettlementStatus, "settlement_batch_status")
    )
    log_entry_id: Mapped[int] = mapped_column(ForeignKey("transaction_log.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    log_entry: Mapped[TransactionLogEntry] = relationship()
    coin: Mapped[Coin] = relationship()
    settlements: Mapped[list[Settlement]] = relationship(back_populates="batch")


class Settlement(Base):
    """A store's settlement request. `reference` is the request's own id (shown to the
    store); what goes on chain is its batch's reference. Its log entry records the request
    (idempotency key, amount) and gets the batch's transaction hash when the batch is sent."""

    __tablename__ = "settlements"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    # bytes32 passed to the escrow's settle(); the chain refuses a reference twice.
    reference: Mapped[str] = mapped_column(String(66), unique=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.store_id"), index=True)
    coin_id: Mapped[int] = mapped_column(ForeignKey("coins.id"))
    amount: Mapped[int] = mapped_column(Uint256)
    fiat: Mapped[str] = mapped_column(String(3))
    rate_id: Mapped[int] = mapped_column(ForeignKey("exchange_rates.id"))
    # The rate locked at request time, copied so the record stands on its own.
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(38, 18))
    fee_bps: Mapped[int]
    gross_fiat: Mapped[Decimal] = mapped_column(ExactDecimal(FIAT_PRECISION, FIAT_SCALE))
    fee_fiat: Mapped[Decimal] = mapped_column(ExactDecimal(FIAT_PRECISION, FIAT_SCALE))
    net_fiat: Mapped[Decimal] = mapped_column(ExactDecimal(FIAT_PRECISION, FIAT_SCALE))
    status: Mapped[SettlementStatus] = mapped_column(
        str_enum(SettlementStatus, "settlement_status")
    )
    log_entry_id: Mapped[int] = mapped_column(ForeignKey("transaction_log.id"), unique=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The run that carries it on chain (None until a settlement run takes it), and the
    # exchange's fee on the store's captures it brings into that batch's `fees`.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_batches.id"), index=True)
    fee_units: Mapped[int] = mapped_column(Uint256, default=0, server_default="0")

    log_entry: Mapped[TransactionLogEntry] = relationship()
    coin: Mapped[Coin] = relationship()
    batch: Mapped[SettlementBatch | None] = relationship(back_populates="settlements")


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"
    EXPORTED = "exported"
    PAID = "paid"


class Payout(Base):
    """The fiat bank transfer owed to a store for one settlement."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"), unique=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.store_id"), index=True)
    fiat: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(FIAT_PRECISION, FIAT_SCALE))
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_account_number: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[PayoutStatus] = mapped_column(str_enum(PayoutStatus, "payout_status"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    exported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set when staff mark the bank transfer done; the reference is the bank's, if given.
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    bank_reference: Mapped[str | None] = mapped_column(String(100))

    settlement: Mapped[Settlement] = relationship()
