"""Invoice statuses from the payments recorded for them (BTCPay Server's vocabulary).

    New ──paid in full (seen)──▶ Processing ──confirmed at depth──▶ Settled
     │                              │  ▲
     │ deadline passed (chain time) │  └── a reorg detached a payment: back to New
     ▼                              ▼
  Expired                        Invalid (its payments were cancelled unconfirmed)

`exception_status` says what was odd: PaidPartial (less than the amount), PaidOver (more),
PaidLate (a payment in a block after the payment deadline; it is recorded and confirmed like
any other, never dropped, and the flag stays). "Deadline passed" is judged by the time of the
last block scanned, so a payment made in time is never turned into a late one because the
tracker ran late.

What counts as paid follows the escrow: a direct pay, plus each transfer seen at the deposit
address or attested by a sweep, by its fate. A transfer a sweep kept (DepositKept) counts
with the kept amount; one it returned (DepositReturned) counts nothing, so an invoice whose
second payment went back is no longer PaidOver; one not swept yet counts as seen. A late
deposit is Expired with PaidLate while only seen, and Processing/Settled (still PaidLate)
once the escrow kept it: the contract keeps a late deposit swept before the authorization
expiry, and the invoice says so.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coinpos.db.models import (
    Invoice,
    InvoiceExceptionStatus,
    InvoiceStatus,
    TransactionLogEntry,
    TxKind,
    TxStatus,
)
from coinpos.db.types import utcnow
from coinpos.invoices import events as invoice_events
from coinpos.tracker.outbox import notify_many

# Invoices per query: far below SQLite's limit on bound parameters.
_CHUNK = 900

_TERMINAL = (InvoiceStatus.EXPIRED, InvoiceStatus.INVALID)


@dataclass
class _State:
    """The columns of an invoice its status depends on, read without the ORM's overhead."""

    id: int
    invoice_hash: str
    store_id: str
    amount: int
    pay_deadline: datetime
    status: InvoiceStatus
    exception_status: InvoiceExceptionStatus | None
    amount_paid: int


def refresh(
    session: Session,
    invoice_ids: Collection[int],
    chain_now: datetime | None,
    late: Collection[int] = (),
    now: datetime | None = None,
) -> None:
    """Recomputes the invoices' statuses in a few statements, whatever their number. A
    change of status or exception status appends an invoice event (and its webhook events);
    a change of status also goes to the staff outbox when `now` is given."""
    ids = sorted(invoice_ids)
    changes: list[tuple[str, dict[str, Any]]] = []
    events: list[invoice_events.StatusChange] = []
    updates: list[dict[str, Any]] = []
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        invoices = [
            _State(*row)
            for row in session.execute(
                select(
                    Invoice.id, Invoice.invoice_hash, Invoice.store_id, Invoice.amount,
                    Invoice.pay_deadline, Invoice.status, Invoice.exception_status,
                    Invoice.amount_paid,
                )
                .where(Invoice.id.in_(part))
                .order_by(Invoice.id)
                .with_for_update()
            )
        ]  # fmt: skip
        payments: dict[int, list[_Payment]] = {}
        for invoice_id, kind, status, block_hash, amount, key, attested, event in session.execute(
            select(
                TransactionLogEntry.invoice_id,
                TransactionLogEntry.kind,
                TransactionLogEntry.status,
                TransactionLogEntry.block_hash,
                TransactionLogEntry.amount,
                TransactionLogEntry.idempotency_key,
                TransactionLogEntry.attested_key,
                TransactionLogEntry.event,
            )
            .where(
                TransactionLogEntry.invoice_id.in_(part),
                TransactionLogEntry.kind.in_(_PAYMENT_KINDS),
                # ETH at an ERC-20 invoice's address is no payment of it.
                TransactionLogEntry.coin_id == Invoice.coin_id,
            )
            .join(Invoice, Invoice.id == TransactionLogEntry.invoice_id)
        ):
            if invoice_id is not None:
                payments.setdefault(invoice_id, []).append(
                    _Payment(kind, status, block_hash, amount, key, attested, event)
                )
        for invoice in invoices:
            before = (invoice.status, invoice.exception_status, invoice.amount_paid)
            _apply(invoice, payments.get(invoice.id, []), chain_now, invoice.id in late)
            after = (invoice.status, invoice.exception_status, invoice.amount_paid)
            if after != before:
                updates.append(
                    {"id": invoice.id, "status": after[0], "exception_status": after[1],
                     "amount_paid": after[2]}
                )  # fmt: skip
            if after[:2] != before[:2]:
                events.append(
                    invoice_events.StatusChange(
                        invoice.id, invoice.invoice_hash, invoice.store_id, invoice.amount,
                        invoice.amount_paid, invoice.status, invoice.exception_status,
                        before[0], before[1],
                    )
                )  # fmt: skip
            if invoice.status is not before[0]:
                changes.append(_change(invoice, before[0]))
    if updates:
        session.execute(update(Invoice), updates)
    invoice_events.record(session, events, now or utcnow())
    if now is not None:
        notify_many(session, "invoice_status", changes, now)


# VOIDED for PaymentReplaced only: a void proper does not change what was paid.
_PAYMENT_KINDS = (TxKind.PAYMENT, TxKind.KEPT, TxKind.RETURNED, TxKind.VOIDED)
REPLACED = "PaymentReplaced"


@dataclass(frozen=True)
class _Payment:
    kind: TxKind
    status: TxStatus
    block_hash: str | None
    amount: int | None
    key: str
    attested_key: str | None
    event: str | None

    def counts(self, confirmed_only: bool) -> bool:
        if confirmed_only:
            return self.status is TxStatus.CONFIRMED
        return self.status is TxStatus.CONFIRMED or (
            self.status is TxStatus.PENDING and self.block_hash is not None
        )


def paid(payments: list[_Payment], confirmed_only: bool = False) -> tuple[int, int]:
    """(paid, kept): what the invoice shows as paid, and the part the escrow holds for it."""
    direct = 0
    deposits: dict[str, int] = {}
    kept: dict[str, int] = {}
    returned: set[str] = set()
    reclaimed = replaced = 0
    for p in payments:
        if not p.counts(confirmed_only):
            continue
        amount = p.amount or 0
        if p.kind is TxKind.VOIDED:
            if p.event == REPLACED:
                replaced += amount  # the held payment went back: it no longer counts as paid
            continue
        if p.kind is TxKind.PAYMENT and p.event is not None:
            direct += amount  # a direct pay: in the escrow at once
        elif p.kind is TxKind.PAYMENT:
            deposits[p.key] = deposits.get(p.key, 0) + amount
        elif p.kind is TxKind.KEPT:
            key = p.attested_key or p.key
            kept[key] = kept.get(key, 0) + amount
        elif p.attested_key is None:
            reclaimed += amount  # DepositReclaimed: the unswept deposits went back
        else:
            returned.add(p.attested_key)
    unswept = sum(a for k, a in deposits.items() if k not in kept and k not in returned)
    held = direct + sum(kept.values()) - replaced
    return held + max(unswept - reclaimed, 0), held


def _apply(
    invoice: _State,
    payments: list[_Payment],
    chain_now: datetime | None,
    late: bool,
) -> None:
    before = invoice.status
    seen, kept = paid(payments)
    confirmed, _ = paid(payments, confirmed_only=True)
    cancelled = any(p.status is TxStatus.CANCELLED for p in payments if p.kind is TxKind.PAYMENT)
    past_deadline = chain_now is not None and chain_now > invoice.pay_deadline
    invoice.amount_paid = seen

    if late or invoice.exception_status is InvoiceExceptionStatus.PAID_LATE:
        invoice.exception_status = InvoiceExceptionStatus.PAID_LATE
    elif 0 < seen < invoice.amount:
        invoice.exception_status = InvoiceExceptionStatus.PAID_PARTIAL
    elif seen > invoice.amount:
        invoice.exception_status = InvoiceExceptionStatus.PAID_OVER
    else:
        invoice.exception_status = None

    if before is InvoiceStatus.EXPIRED and kept >= invoice.amount:
        pass  # a late deposit the escrow kept: paid after all
    elif before in _TERMINAL:
        return
    if seen >= invoice.amount and (
        not late or before is not InvoiceStatus.NEW or kept >= invoice.amount
    ):
        invoice.status = (
            InvoiceStatus.SETTLED if confirmed >= invoice.amount else InvoiceStatus.PROCESSING
        )
    elif before is InvoiceStatus.PROCESSING and cancelled:
        invoice.status = InvoiceStatus.INVALID
    elif past_deadline or late:
        invoice.status = InvoiceStatus.EXPIRED
    else:
        invoice.status = InvoiceStatus.NEW


def _change(invoice: _State, before: InvoiceStatus) -> tuple[str, dict[str, Any]]:
    key = f"invoice:{invoice.id}:{invoice.status.value}:{invoice.amount_paid}"
    exception = invoice.exception_status.value if invoice.exception_status else None
    return (
        key,
        {
            "invoice_hash": invoice.invoice_hash,
            "store_id": invoice.store_id,
            "status": invoice.status.value,
            "previous": before.value,
            "exception_status": exception,
            "amount": str(invoice.amount),
            "amount_paid": str(invoice.amount_paid),
        },
    )


def overdue(session: Session, chain_now: datetime) -> list[int]:
    """Invoices still New whose payment deadline the chain has passed."""
    return list(
        session.scalars(
            select(Invoice.id).where(
                Invoice.status == InvoiceStatus.NEW, Invoice.pay_deadline < chain_now
            )
        )
    )
