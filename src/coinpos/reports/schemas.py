"""The sales report as the manager API shows it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from coinpos.server.money import DecimalText


class SaleOut(BaseModel):
    invoice_id: str
    created_at: datetime
    coin: str
    amount: DecimalText
    status: str
    exception_status: str | None
    rate_at_sale: DecimalText | None
    fiat_at_sale: DecimalText | None
    rate_now: DecimalText | None
    fiat_now: DecimalText | None


class CoinTotalOut(BaseModel):
    coin: str
    sales: int
    amount: DecimalText
    fiat_at_sale: DecimalText
    fiat_now: DecimalText | None


class SalesReportOut(BaseModel):
    store_id: str
    fiat: str
    total_at_sale: DecimalText
    total_now: DecimalText
    per_coin: list[CoinTotalOut]
    counts: dict[str, int]
    sales: list[SaleOut]
