"""Payouts: the fiat bank transfers owed for settlements, listed, exported as CSV, and
marked paid once the bank transfer is done.

A payout moves pending → exported → paid; a pending one may be marked paid directly (a
transfer made by hand). Paid is final, and a payout whose settlement failed on chain is
never marked paid.
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coinpos.db.models import Payout, PayoutStatus, Settlement, SettlementStatus, Store
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError
from coinpos.money import PAYOUT_ROUNDING, quantize_fiat
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import non_empty

EXPORT_COLUMNS = (
    "payout_id",
    "settlement_reference",
    "store_id",
    "store_name",
    "bank_name",
    "bank_account_number",
    "fiat",
    "amount",
    "created_at",
)


class PayoutError(CoinposError):
    """A payout change that the payout's state does not allow; nothing is changed."""


# The states a payout may leave for paid.
PAYABLE = frozenset({PayoutStatus.PENDING, PayoutStatus.EXPORTED})


def get_payout(uow: UnitOfWork, payout_id: int) -> Payout:
    payout = uow.session.get(Payout, payout_id, options=[joinedload(Payout.settlement)])
    if payout is None:
        raise PayoutError(f"no payout {payout_id}")
    return payout


def mark_paid(
    uow: UnitOfWork,
    payout_id: int,
    bank_reference: str | None = None,
    now: datetime | None = None,
) -> Payout:
    """Records that the bank transfer of a pending or exported payout was made."""
    reference = None if bank_reference is None else non_empty(bank_reference, "bank reference", 100)
    payout = get_payout(uow, payout_id)
    if payout.status not in PAYABLE:
        when = f" on {payout.paid_at:%Y-%m-%d}" if payout.paid_at else ""
        raise PayoutError(f"payout {payout_id} is already {payout.status}{when}")
    if payout.settlement.status is SettlementStatus.FAILED:
        raise PayoutError(
            f"payout {payout_id} belongs to settlement {payout.settlement.reference}, which "
            "failed on chain: nothing is owed"
        )
    payout.status = PayoutStatus.PAID
    payout.paid_at = now or utcnow()
    payout.bank_reference = reference
    uow.commit()
    return payout


def list_payouts(
    uow: UnitOfWork, status: PayoutStatus | None = None, store_id: str | None = None
) -> list[Payout]:
    query = select(Payout).options(joinedload(Payout.settlement)).order_by(Payout.id)
    if status is not None:
        query = query.where(Payout.status == status)
    if store_id is not None:
        query = query.where(Payout.store_id == store_id)
    return list(uow.session.scalars(query))


def export_payouts(uow: UnitOfWork, out: IO[str], now: datetime | None = None) -> int:
    """Writes every pending payout as CSV and marks them exported, in one unit of work.

    The file is written before the commit: if writing fails, nothing is marked, and the next
    export includes the same payouts again.
    """
    payouts = list_payouts(uow, PayoutStatus.PENDING)
    names = dict(uow.session.execute(select(Store.store_id, Store.name)).tuples().all())
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for payout in payouts:
        settlement: Settlement = payout.settlement
        writer.writerow(
            [
                payout.id,
                settlement.reference,
                payout.store_id,
                names[payout.store_id],
                payout.bank_name or "",
                payout.bank_account_number or "",
                payout.fiat,
                f"{quantize_fiat(payout.amount, payout.fiat, PAYOUT_ROUNDING):f}",
                payout.created_at.isoformat(),
            ]
        )
    out.flush()
    stamp = now or utcnow()
    for payout in payouts:
        payout.status = PayoutStatus.EXPORTED
        payout.exported_at = stamp
    uow.commit()
    return len(payouts)
