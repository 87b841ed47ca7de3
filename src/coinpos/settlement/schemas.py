"""Settlement requests as the manager API takes and shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from coinpos.server.money import CoinAmount, DecimalText


class SettlementIn(BaseModel):
    """Part of a store's balance of a coin (`amount`) or all of it (`amount` omitted)."""

    model_config = ConfigDict(extra="forbid")

    coin: str = Field(pattern=r"^[A-Z0-9]{1,16}$")
    amount: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,30}(\.[0-9]{1,36})?$",
        description="Whole coins; omitted settles the whole confirmed balance.",
    )


class SettlementOut(BaseModel):
    id: str = Field(
        description="The settlement's bytes32 id. On chain it is carried by its run's batch, "
        "whose reference names no store."
    )
    store_id: str
    settled: CoinAmount
    fiat: str
    rate: DecimalText = Field(description="Locked when the request was made.")
    fee_bps: int
    gross: DecimalText
    fee: DecimalText
    net: DecimalText
    status: str
    tx_hash: str | None
    failure_reason: str | None
    requested_at: datetime
