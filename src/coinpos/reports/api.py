"""`GET /stores/{store_id}/reports/sales` (manager): FIG 9's sales report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends

from coinpos.reports.schemas import CoinTotalOut, SaleOut, SalesReportOut
from coinpos.reports.service import sales_report, totals_by_coin
from coinpos.server.auth import MANAGER_ROUTE, Manager, StoreId
from coinpos.server.database import get_uow
from coinpos.server.money import decimal_text
from coinpos.unit_of_work import UnitOfWork

router = APIRouter(tags=["reports"])


def _text(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


@router.get(
    "/stores/{store_id}/reports/sales", response_model=SalesReportOut, openapi_extra=MANAGER_ROUTE
)
def get_sales_report(
    store_id: StoreId,
    principal: Manager,
    uow: Annotated[UnitOfWork, Depends(get_uow)],
    since: date | None = None,
    until: date | None = None,
) -> SalesReportOut:
    report = sales_report(uow, principal.store_id, since, until)
    return SalesReportOut(
        store_id=report.store_id,
        fiat=report.fiat,
        total_at_sale=decimal_text(report.total("fiat_at_sale")),
        total_now=decimal_text(report.total("fiat_now")),
        per_coin=[
            CoinTotalOut(
                coin=t.coin,
                sales=t.sales,
                amount=decimal_text(t.amount),
                fiat_at_sale=decimal_text(t.fiat_at_sale),
                fiat_now=_text(t.fiat_now),
            )
            for t in totals_by_coin(report)
        ],
        counts=report.counts,
        sales=[
            SaleOut(
                invoice_id=s.invoice_hash,
                created_at=s.created_at,
                coin=s.coin,
                amount=decimal_text(s.amount),
                status=s.status.value,
                exception_status=s.exception_status,
                rate_at_sale=_text(s.rate_at_sale),
                fiat_at_sale=_text(s.fiat_at_sale),
                rate_now=_text(s.rate_now),
                fiat_now=_text(s.fiat_now),
            )
            for s in report.sales
        ],
    )
