"""Invoices: the terms the exchange signs (mirroring the on-chain Invoice) and their status.

Statuses follow BTCPay Server. `status` is the lifecycle; `exception_status` says what
was odd about the payment, so a late or partial payment is never lost in the status.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.types import Uint256, UtcDateTime, str_enum, utcnow


class InvoiceStatus(enum.StrEnum):
    NEW = "New"
    PROCESSING = "Processing"
    SETTLED = "Settled"
    EXPIRED = "Expired"
    INVALID = "Invalid"


class InvoiceExceptionStatus(enum.StrEnum):
    PAID_PARTIAL = "PaidPartial"
    PAID_OVER = "PaidOver"
    PAID_LATE = "PaidLate"


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    # EIP-712 hash of the terms; the escrow keys payment state by it.
    invoice_hash: Mapped[str] = mapped_column(String(66), unique=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.store_id"), index=True)
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"))
    coin_id: Mapped[int] = mapped_column(ForeignKey("coins.id"))
    amount: Mapped[int] = mapped_column(Uint256)
    # None lets any wallet pay.
    payer: Mapped[str | None] = mapped_column(String(42))
    pay_deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    authorization_expiry: Mapped[datetime] = mapped_column(UtcDateTime)
    refund_deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    # The store's fee rate when the invoice was made (stores.fee_bps). It never goes on chain:
    # the ledger credits a confirmed capture of `amount` with amount - amount*fee_bps//10_000
    # (the fee rounded down) and accrues the rest as the exchange's fee.
    fee_bps: Mapped[int]
    # The store salt (v2 terms): 32 random bytes, fresh per invoice, secret. The terms carry
    # storeCommitment = keccak256(abi.encode(storeId, salt)); revealing the salt proves the
    # invoice is the store's (`coinpos invoices prove`). It is also the invoice's uniqueness
    # salt (v1 had a separate one in the terms).
    salt: Mapped[str] = mapped_column(String(66))
    deposit_address: Mapped[str | None] = mapped_column(String(42))
    payment_uri: Mapped[str] = mapped_column(Text)
    # Where the terms are payable (the EIP-712 domain), and the operator's signature of them.
    chain_id: Mapped[int | None]
    escrow_address: Mapped[str | None] = mapped_column(String(42))
    operator_signature: Mapped[str | None] = mapped_column(String(132))
    qr_png_path: Mapped[str | None] = mapped_column(Text)
    qr_svg_path: Mapped[str | None] = mapped_column(Text)
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus, "invoice_status"), default=InvoiceStatus.NEW
    )
    exception_status: Mapped[InvoiceExceptionStatus | None] = mapped_column(
        str_enum(InvoiceExceptionStatus, "invoice_exception_status")
    )
    amount_paid: Mapped[int] = mapped_column(Uint256, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class InvoiceLine(Base):
    """One catalogue item on an invoice, at the price it had when the invoice was made."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_items.id"))
    quantity: Mapped[int]
    unit_price: Mapped[int] = mapped_column(Uint256)
