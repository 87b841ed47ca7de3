"""Call data for paying an invoice on chain without a deposit: the escrow's `pay`, and a
coinpos MultiCoinWallet's `payInvoice` wrapping it (what a customer's device sends to its
own wallet). Encoded here from the ABI types, so the server needs no compiled project.
"""

from __future__ import annotations

from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector

from coinpos.invoices.terms import InvoiceTerms

_TERMS_TUPLE = "(bytes32,address,uint256,address,uint48,uint48,uint48)"
PAY = f"pay({_TERMS_TUPLE},bytes)"
PAY_INVOICE = "payInvoice(address,address,uint256,bytes)"


def escrow_pay_call(terms: InvoiceTerms, signature: bytes) -> bytes:
    """`PaymentEscrow.pay(invoice, operatorSignature)`."""
    selector = bytes(function_signature_to_4byte_selector(PAY))
    return selector + encode([_TERMS_TUPLE, "bytes"], [terms.abi(), signature])


def wallet_pay_call(escrow: str, terms: InvoiceTerms, signature: bytes) -> bytes:
    """`MultiCoinWallet.payInvoice(escrow, token, amount, payCall)`, payCall the escrow's pay."""
    selector = bytes(function_signature_to_4byte_selector(PAY_INVOICE))
    inner = escrow_pay_call(terms, signature)
    return selector + encode(
        ["address", "address", "uint256", "bytes"], [escrow, terms.token, terms.amount, inner]
    )
