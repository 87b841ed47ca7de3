"""Invoices as the POS API takes and shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from coinpos.db.models import InvoiceExceptionStatus, InvoiceStatus
from coinpos.server.money import BaseUnits, CoinAmount, FiatAmount

INVOICE_ID = r"^0x[0-9a-fA-F]{64}$"
ADDRESS = r"^0x[0-9a-fA-F]{40}$"


class CartLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    quantity: int = Field(ge=1, le=1_000_000)


class InvoiceIn(BaseModel):
    """An amount, or a cart of catalogue items priced in the coin (exactly one of the two)."""

    model_config = ConfigDict(extra="forbid")

    coin: str = Field(pattern=r"^[A-Z0-9]{1,16}$", examples=["CPW"])
    amount: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,30}(\.[0-9]{1,36})?$",
        description="Whole coins, e.g. 12.50 (or give a cart).",
    )
    cart: list[CartLineIn] = Field(default_factory=list, max_length=100)
    payer: str | None = Field(
        default=None, pattern=ADDRESS, description="Only this address may pay (default: anyone)."
    )
    expires_in_minutes: int = Field(default=15, ge=1, le=24 * 60)


class CartLineOut(BaseModel):
    sku: str
    quantity: int
    unit_price: BaseUnits


class InvoiceTermsOut(BaseModel):
    """The escrow's `Invoice` struct (v2), as signed (for `pay(invoice, operatorSignature)`).

    The store appears only as its commitment for this invoice; there is no fee in the terms."""

    store_commitment: str = Field(
        description="keccak256(abi.encode(storeId, storeSalt)), with a salt fresh per invoice."
    )
    token: str
    amount: BaseUnits
    payer: str
    payment_deadline: int
    authorization_expiry: int
    refund_deadline: int


class PaymentOut(BaseModel):
    deposit_address: str | None = Field(description="Pay the amount here with a plain transfer.")
    payment_uri: str = Field(description="EIP-681 URI of that transfer (what the QR holds).")
    chain_id: int | None
    escrow: str | None
    operator_signature: str | None
    terms: InvoiceTermsOut | None
    escrow_call: str | None = Field(description="Call data of the escrow's pay(terms, signature).")
    wallet_call: str | None = Field(
        description="Call data for a coinpos MultiCoinWallet: payInvoice(escrow, token, "
        "amount, escrow_call), sent by the wallet's owner to the wallet."
    )


class QrOut(BaseModel):
    png: str
    svg: str


class InvoiceOut(BaseModel):
    id: str = Field(description="The invoice hash (EIP-712 digest of the terms).")
    number: int
    store_id: str
    terminal: str | None
    status: InvoiceStatus
    exception_status: InvoiceExceptionStatus | None
    price: CoinAmount
    amount_paid: BaseUnits
    fiat_now: FiatAmount | None
    items: list[CartLineOut]
    payer: str | None
    created_at: datetime
    expires_at: datetime = Field(description="The payment deadline.")
    authorization_expiry: datetime
    refund_deadline: datetime
    payment: PaymentOut
    qr: QrOut


class InvoicePage(BaseModel):
    items: list[InvoiceOut]
    limit: int
    offset: int
    next_offset: int | None
