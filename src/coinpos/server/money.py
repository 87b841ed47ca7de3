"""How money is written in the API's JSON: base units as decimal strings (a JSON number
past 2**53 loses digits), whole-coin and fiat amounts as decimal strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from coinpos.money import from_base_units
from coinpos.rates.valuation import Valuation

BaseUnits = Annotated[
    str, Field(pattern=r"^[0-9]{1,78}$", description="An integer amount in base units.")
]
DecimalText = Annotated[str, Field(description="A decimal number, written out exactly.")]


def decimal_text(value: Decimal) -> str:
    return format(value, "f")


class CoinAmount(BaseModel):
    coin: str
    amount: DecimalText = Field(description="Whole coins.")
    base_units: BaseUnits


def coin_amount(symbol: str, decimals: int, units: int) -> CoinAmount:
    return CoinAmount(
        coin=symbol,
        amount=decimal_text(from_base_units(units, decimals)),
        base_units=str(units),
    )


class FiatAmount(BaseModel):
    fiat: str
    value: DecimalText = Field(description="Rounded half-even to the currency's minor unit.")
    rate: DecimalText = Field(description="Fiat per whole coin.")
    rate_observed_at: str


def fiat_amount(valuation: Valuation | None) -> FiatAmount | None:
    if valuation is None:
        return None
    return FiatAmount(
        fiat=valuation.fiat,
        value=decimal_text(valuation.value),
        rate=decimal_text(valuation.rate),
        rate_observed_at=valuation.observed_at.isoformat(),
    )
