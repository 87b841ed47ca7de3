"""Customer sessions, information, wallets, history and rates as the device API shows them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from coinpos.server.money import BaseUnits, DecimalText, FiatAmount


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_id: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SessionOut(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; shown once.")
    expires_at: datetime


class AccountOut(BaseModel):
    address: str
    account_code: str


class CustomerOut(BaseModel):
    """The customer's information (FIG 5A); never the password hash."""

    login_id: str
    name: str
    customer_type: str
    language: str
    country_code: str
    phone: str | None
    email: str | None
    device_type: str | None
    subscribed_on: date
    bank_name: str | None
    bank_account_number: str | None
    latitude_e6: int | None
    longitude_e6: int | None
    affiliated_group: str | None
    accounts: list[AccountOut]


class HoldingOut(BaseModel):
    token: str = Field(description="The coin's token address; ETH is the zero address.")
    coin: str | None = Field(description="Its symbol, when the exchange knows the coin.")
    balance: BaseUnits
    amount: DecimalText | None = Field(description="Whole coins, when the coin is known.")
    fiat_value: FiatAmount | None


class WalletOut(BaseModel):
    address: str
    chain_id: int
    holdings: list[HoldingOut]


class WalletsOut(BaseModel):
    fiat: str
    wallets: list[WalletOut]


class HistoryEntryOut(BaseModel):
    kind: str = Field(description="invoice_paid, emoney_bought or reward")
    at: datetime
    coin: str | None
    amount: DecimalText | None
    base_units: BaseUnits
    reference: str
    status: str


class HistoryOut(BaseModel):
    entries: list[HistoryEntryOut]


class RateOut(BaseModel):
    rate: DecimalText
    observed_at: datetime
    source: str


class RateHistoryOut(BaseModel):
    coin: str
    fiat: str
    rates: list[RateOut]
