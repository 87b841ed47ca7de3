"""Escrow events: a direct `pay` is a payment; a sweep's InvoicePaid is not a second one; a
fee-bumped replacement of the exchange's own transaction is adopted by its reference."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from coinpos.db.models import InvoiceStatus, TxKind, TxStatus
from tests.offchain.tracker.conftest import UNIT, Shop

# anvil's second default account (the operator here): a public, well-known test key.
OPERATOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
INVOICE_TYPES = {
    "Invoice": [
        {"name": "storeId", "type": "bytes32"},
        {"name": "token", "type": "address"},
        {"name": "amount", "type": "uint256"},
        {"name": "payer", "type": "address"},
        {"name": "paymentDeadline", "type": "uint48"},
        {"name": "authorizationExpiry", "type": "uint48"},
        {"name": "refundDeadline", "type": "uint48"},
        {"name": "minFeeBps", "type": "uint16"},
        {"name": "maxFeeBps", "type": "uint16"},
        {"name": "salt", "type": "bytes32"},
    ]
}


def _signature(shop: Shop, terms: tuple[Any, ...]) -> bytes:
    assert Account.from_key(OPERATOR_KEY).address == shop.operator
    domain = {"name": "CoinposPaymentEscrow", "version": "1", "chainId": 31337,
              "verifyingContract": shop.escrow.address}  # fmt: skip
    message = dict(zip([f["name"] for f in INVOICE_TYPES["Invoice"]], terms, strict=True))
    return bytes(Account.sign_typed_data(OPERATOR_KEY, domain, INVOICE_TYPES, message).signature)


@pytest.mark.postgres
def test_direct_pay__is_recorded_from_invoice_paid(shop: Shop) -> None:
    invoice = shop.invoice(UNIT, eth=True)
    terms = shop.terms[invoice.id]
    shop.escrow.functions.pay(terms, _signature(shop, terms)).transact(
        {"from": shop.payer, "value": UNIT}
    )
    shop.anvil.mine(2)
    shop.tracker().run_once()

    [entry] = shop.entries()
    assert (entry.kind, entry.status, entry.amount) == (TxKind.PAYMENT, TxStatus.CONFIRMED, UNIT)
    assert entry.sender == shop.payer.lower()  # the InvoicePaid payer
    assert shop.reload(invoice).status is InvoiceStatus.SETTLED
    assert shop.escrow.functions.payment(bytes.fromhex(invoice.invoice_hash[2:])).call()[1] == UNIT


@pytest.mark.postgres
def test_direct_pay_reorged_out__dropped__not_left_pending(shop: Shop) -> None:
    invoice = shop.invoice(UNIT)
    terms = shop.terms[invoice.id]
    shop.token.functions.approve(shop.escrow.address, UNIT).transact({"from": shop.payer})
    shop.escrow.functions.pay(terms, _signature(shop, terms)).transact({"from": shop.payer})
    tracker = shop.tracker(depth=3)
    assert tracker.run_once().recorded == 1

    shop.anvil.rpc("anvil_reorg", 1, [])
    shop.anvil.mine(3)
    summary = tracker.run_once()

    [entry] = shop.entries()
    assert (summary.dropped, entry.status) == (1, TxStatus.DROPPED)
    assert shop.reload(invoice).status is InvoiceStatus.NEW


@pytest.mark.postgres
def test_eth_deposit_then_sweep__counts_the_deposit_once(shop: Shop) -> None:
    invoice = shop.invoice(2 * UNIT, eth=True)
    shop.pay(invoice, 2 * UNIT)
    tracker = shop.tracker()
    tracker.run_once()
    shop.escrow.functions.sweep([shop.terms[invoice.id]], [shop.payer]).transact(
        {"from": shop.operator}
    )
    assert shop.on_chain(invoice) == 0  # the deposit address is empty again
    shop.anvil.mine(2)
    tracker.run_once()

    assert [e.amount for e in shop.entries()] == [2 * UNIT]
    assert shop.valid_total(invoice) == 2 * UNIT
    assert shop.reload(invoice).status is InvoiceStatus.SETTLED


@pytest.mark.postgres
def test_fee_bumped_replacement__is_adopted_by_its_reference_and_confirmed(shop: Shop) -> None:
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, UNIT)
    shop.escrow.functions.sweep([shop.terms[invoice.id]], [shop.payer]).transact(
        {"from": shop.operator}
    )
    w3 = shop.anvil.w3
    nonce = w3.eth.get_transaction_count(shop.operator)
    capture = shop.escrow.functions.capture(shop.terms[invoice.id], UNIT, 0)
    shop.anvil.rpc("evm_setAutomine", False)
    first = capture.transact({"from": shop.operator, "nonce": nonce, "gasPrice": 2 * 10**9})
    shop.log_capture(invoice, "0x" + bytes(first).hex())
    bumped = capture.transact({"from": shop.operator, "nonce": nonce, "gasPrice": 4 * 10**9})
    shop.anvil.rpc("evm_setAutomine", True)
    shop.anvil.mine(3)
    assert w3.eth.get_transaction_receipt(bumped)["status"] == 1

    shop.tracker().run_once()
    capture_entry = next(e for e in shop.entries() if e.kind is TxKind.CAPTURE)
    assert capture_entry.tx_hash == "0x" + bytes(bumped).hex()
    assert capture_entry.status is TxStatus.CONFIRMED
    assert shop.captured() == shop.store_balance_on_chain() == UNIT
