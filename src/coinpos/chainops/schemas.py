"""Refunds as the manager API takes and shows them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from coinpos.db.models import TxStatus


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,30}(\.[0-9]{1,36})?$",
        description="Whole coins to refund; omitted refunds all that is left of the capture.",
    )


class RefundOut(BaseModel):
    invoice_id: str
    amount: str = Field(description="Base units refunded.")
    status: TxStatus
    tx_hash: str | None
    failure_reason: str | None
