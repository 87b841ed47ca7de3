"""Payouts: the fiat bank transfers owed for settlements, listed and exported as CSV."""

from __future__ import annotations

import csv
from datetime import datetime
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coinpos.db.models import Payout, PayoutStatus, Settlement, Store
from coinpos.db.types import utcnow
from coinpos.money import PAYOUT_ROUNDING, quantize_fiat
from coinpos.unit_of_work import UnitOfWork

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
