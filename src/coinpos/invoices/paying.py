"""Paying an invoice as a customer: directly through the escrow, or to its deposit address,
from a plain account or from a MultiCoinWallet.

- from an account, via the escrow: ETH `pay` with the value; an ERC-20 `approve`, then `pay`;
- from an account, via the deposit address: an ETH transfer, or an ERC-20 `transfer`;
- from a wallet, via the escrow: `payInvoice(escrow, token, amount, pay calldata)`;
- from a wallet, via the deposit address: `transferEth` or `transferToken`.

A direct payment carries the operator's signature stored on the invoice. A deposit is a
plain transfer; the operator sweeps it into the escrow later.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coinpos.db.models import Coin
from coinpos.db.types import utcnow
from coinpos.invoices.service import InvoiceError, get_invoice, terms_of
from coinpos.invoices.terms import ZERO_ADDRESS, InvoiceTerms
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import address


class Route(enum.StrEnum):
    DEPOSIT = "deposit"
    ESCROW = "escrow"


@dataclass(frozen=True)
class Payable:
    """What paying one stored invoice needs."""

    invoice_hash: str
    terms: InvoiceTerms
    signature: bytes
    escrow: str
    deposit: str

    @property
    def token(self) -> str:
        return self.terms.token

    @property
    def amount(self) -> int:
        return self.terms.amount

    @property
    def is_eth(self) -> bool:
        return self.terms.token == ZERO_ADDRESS


def payable(uow: UnitOfWork, ref: str, payer: str, now: datetime | None = None) -> Payable:
    """The invoice `ref`, refused when its payment deadline passed or it names another payer."""
    invoice = get_invoice(uow, ref)
    coin = uow.session.get(Coin, invoice.coin_id)
    assert coin is not None  # a foreign key guarantees it
    if (now or utcnow()) > invoice.pay_deadline:
        raise InvoiceError(
            f"invoice {invoice.invoice_hash} could be paid until {invoice.pay_deadline}"
        )
    if invoice.payer and invoice.payer != address(payer, "payer"):
        raise InvoiceError(f"invoice {invoice.invoice_hash} may only be paid by {invoice.payer}")
    if invoice.operator_signature is None or invoice.deposit_address is None:
        raise InvoiceError(
            f"invoice {invoice.invoice_hash} carries no operator signature or deposit address"
        )
    return Payable(
        invoice_hash=invoice.invoice_hash,
        terms=terms_of(invoice, coin),
        signature=bytes.fromhex(invoice.operator_signature[2:]),
        escrow=invoice.escrow_address or "",
        deposit=invoice.deposit_address,
    )


def pay(project: Any, account: Any, bill: Payable, route: Route, wallet: str | None) -> list[Any]:
    """Sends the payment from `account`, or from `wallet` (owned by `account`); the receipts."""
    escrow = project.PaymentEscrow.at(bill.escrow)
    token = None if bill.is_eth else project.IEMoney.at(bill.token)
    if wallet is not None:
        contract = project.MultiCoinWallet.at(wallet)
        if route is Route.ESCROW:
            call = escrow.pay.encode_input(bill.terms.abi(), bill.signature)
            return [contract.payInvoice(escrow, bill.token, bill.amount, call, sender=account)]
        if token is None:
            return [contract.transferEth(bill.deposit, bill.amount, sender=account)]
        return [contract.transferToken(token, bill.deposit, bill.amount, sender=account)]
    if route is Route.ESCROW:
        if token is None:
            return [escrow.pay(bill.terms.abi(), bill.signature, value=bill.amount, sender=account)]
        approval = token.approve(escrow, bill.amount, sender=account)
        return [approval, escrow.pay(bill.terms.abi(), bill.signature, sender=account)]
    if token is None:
        return [account.transfer(bill.deposit, bill.amount)]
    return [token.transfer(bill.deposit, bill.amount, sender=account)]
