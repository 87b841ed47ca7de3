"""The ledger follows the escrow's events, whoever sent the transaction.

A direct `pay` is a payment; a sweep's DepositKept states the fate of a deposit already
counted at its address (not a second payment), and its DepositReturned takes it off what the
invoice shows as paid. Captures, refunds and settlements move store balances only through
their confirmed events, so a capture inside a sweep, sent by a wallet that never went through
the exchange's sender, credits the store less the invoice's fee.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import (
    FeeBalance,
    InvoiceExceptionStatus,
    InvoiceStatus,
    TxKind,
    TxStatus,
)
from coinpos.reconcile.service import ledger_totals
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.tracker.conftest import UNIT, Shop

# anvil's second default account (the operator here): a public, well-known test key.
OPERATOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
INVOICE_TYPES = {
    "Invoice": [
        {"name": "storeCommitment", "type": "bytes32"},
        {"name": "token", "type": "address"},
        {"name": "amount", "type": "uint256"},
        {"name": "payer", "type": "address"},
        {"name": "paymentDeadline", "type": "uint48"},
        {"name": "authorizationExpiry", "type": "uint48"},
        {"name": "refundDeadline", "type": "uint48"},
    ]
}


def _signature(shop: Shop, terms: tuple[Any, ...]) -> bytes:
    assert Account.from_key(OPERATOR_KEY).address == shop.operator
    domain = {"name": "CoinposPaymentEscrow", "version": "2", "chainId": 31337,
              "verifyingContract": shop.escrow.address}  # fmt: skip
    message = dict(zip([f["name"] for f in INVOICE_TYPES["Invoice"]], terms, strict=True))
    return bytes(Account.sign_typed_data(OPERATOR_KEY, domain, INVOICE_TYPES, message).signature)


def _fees(shop: Shop) -> int:
    with Session(shop.engine) as session:
        row = session.get(FeeBalance, shop.coin_id)
        return 0 if row is None else row.accrued


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
    assert (entry.event, entry.sender) == ("InvoicePaid", shop.payer.lower())
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
def test_eth_deposit_then_sweep__counts_the_deposit_once_with_its_sender_and_tx(
    shop: Shop,
) -> None:
    invoice = shop.invoice(2 * UNIT, eth=True)
    tx = shop.pay(invoice, 2 * UNIT)
    tracker = shop.tracker()
    tracker.run_once()
    shop.sweep(invoice)
    assert shop.on_chain(invoice) == 0  # the deposit address is empty again
    shop.anvil.mine(2)
    tracker.run_once()

    deposit, kept = shop.entries()
    assert (deposit.kind, deposit.tx_hash, deposit.sender) == (
        TxKind.PAYMENT, tx, shop.payer.lower(),
    )  # fmt: skip
    assert (kept.kind, kept.attested_key, kept.amount) == (
        TxKind.KEPT, deposit.idempotency_key, 2 * UNIT,
    )  # fmt: skip
    assert shop.reload(invoice).amount_paid == 2 * UNIT  # not 4
    assert shop.reload(invoice).status is InvoiceStatus.SETTLED


@pytest.mark.postgres
def test_capture_inside_a_sweep_sent_outside_the_exchange__credits_the_store_less_the_fee(
    shop: Shop,
) -> None:
    """Issue 9's failing example, at the tracker: nobody logged a capture request."""
    invoices = [shop.invoice(amount, fee_bps=100) for amount in (1_089, 1_222)]
    for invoice in invoices:
        shop.pay(invoice, invoice.amount)
    shop.sweep(*invoices, capture=True)
    shop.anvil.mine(2)
    shop.tracker().run_once()

    assert shop.captured_on_chain() == 2_311
    # 1 % of 1,089 is 10.89 and of 1,222 is 12.22: the fee is rounded down to 10 and 12.
    assert shop.captured() == 2_311 - 22
    assert _fees(shop) == 22
    captures = [e for e in shop.entries() if e.kind is TxKind.CAPTURED]
    assert [(e.status, e.fee) for e in captures] == [
        (TxStatus.CONFIRMED, 10),
        (TxStatus.CONFIRMED, 12),
    ]


@pytest.mark.postgres
def test_capture_event__moves_nothing_until_confirmed(shop: Shop) -> None:
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, UNIT)
    shop.sweep_and_capture(invoice)
    tracker = shop.tracker(depth=3)
    tracker.run_once()
    assert shop.captured() == 0  # seen, not yet at depth
    shop.anvil.mine(3)
    tracker.run_once()
    assert shop.captured() == UNIT


@pytest.mark.postgres
def test_second_payment_returned_by_a_sweep__no_longer_shows_paid_over(shop: Shop) -> None:
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, UNIT)
    shop.sweep_and_capture(invoice)
    shop.pay(invoice, UNIT)  # paid twice: the second arrives after the capture
    tracker = shop.tracker()
    shop.anvil.mine(2)
    tracker.run_once()
    assert shop.reload(invoice).exception_status is InvoiceExceptionStatus.PAID_OVER

    shop.sweep(invoice)  # captured already: the escrow sends the second payment back
    shop.anvil.mine(2)
    tracker.run_once()
    again = shop.reload(invoice)
    assert (again.amount_paid, again.exception_status) == (UNIT, None)
    assert again.status is InvoiceStatus.SETTLED
    returned = [e for e in shop.entries() if e.kind is TxKind.RETURNED]
    assert [(e.status, e.amount) for e in returned] == [(TxStatus.CONFIRMED, UNIT)]
    assert shop.captured() == UNIT  # one capture, one credit


@pytest.mark.postgres
def test_dust_from_another_sender__goes_back_and_the_payment_is_kept(shop: Shop) -> None:
    other = shop.anvil.accounts[4]
    shop.token.functions.transfer(other, 10).transact({"from": shop.payer})
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, 1, sender=other)
    shop.pay(invoice, UNIT)
    shop.sweep_and_capture(invoice)
    shop.anvil.mine(2)
    shop.tracker().run_once()

    paid = shop.reload(invoice)
    assert (paid.amount_paid, paid.exception_status, paid.status) == (
        UNIT, None, InvoiceStatus.SETTLED,
    )  # fmt: skip
    returned = [e for e in shop.entries() if e.kind is TxKind.RETURNED]
    assert [(e.sender, e.amount) for e in returned] == [(other.lower(), 1)]
    assert shop.captured() == UNIT


def test_dust_swept_on_its_own__replaced_by_the_real_payment__paid_once_and_reconciled(
    shop: Shop,
) -> None:
    """1 wei swept alone is held for its sender; the real payment swept later replaces it
    (PaymentReplaced sends it back): the invoice shows the real payment only, and the held
    total the ledger derives agrees with the escrow's pool."""
    other = shop.anvil.accounts[4]
    shop.token.functions.transfer(other, 10).transact({"from": shop.payer})
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, 1, sender=other)
    shop.sweep(invoice)
    tracker = shop.tracker()
    shop.anvil.mine(2)
    tracker.run_once()
    assert shop.reload(invoice).amount_paid == 1
    shop.pay(invoice, UNIT)
    shop.sweep_and_capture(invoice)
    shop.anvil.mine(2)
    tracker.run_once()

    paid = shop.reload(invoice)
    assert (paid.amount_paid, paid.exception_status, paid.status) == (
        UNIT, None, InvoiceStatus.SETTLED,
    )  # fmt: skip
    replaced = [e for e in shop.entries() if e.event == "PaymentReplaced"]
    assert [(e.kind, e.sender, e.amount) for e in replaced] == [(TxKind.VOIDED, other.lower(), 1)]
    assert shop.captured() == UNIT
    assert shop.pool()[0] == 0  # nothing held on chain: the dust went back
    with UnitOfWork(shop.engine) as uow:
        assert ledger_totals(uow.session, invoice.coin_id).held == 0


@pytest.mark.postgres
def test_late_deposit_kept_by_the_sweep__shows_paid_late_and_is_kept_in_the_ledger(
    shop: Shop,
) -> None:
    # The payment deadline is already past when the payer pays (the block's time says so).
    from datetime import UTC, datetime, timedelta

    invoice = shop.invoice(UNIT, pay_deadline=datetime.now(UTC) - timedelta(minutes=1))
    shop.pay(invoice, UNIT)
    tracker = shop.tracker()
    shop.anvil.mine(2)
    tracker.run_once()
    seen = shop.reload(invoice)
    assert (seen.status, seen.exception_status) == (
        InvoiceStatus.EXPIRED, InvoiceExceptionStatus.PAID_LATE,
    )  # fmt: skip

    # Before the authorization expiry the contract keeps a late deposit: so does the ledger.
    shop.sweep_and_capture(invoice)
    shop.anvil.mine(2)
    tracker.run_once()
    kept = shop.reload(invoice)
    assert (kept.status, kept.exception_status, kept.amount_paid) == (
        InvoiceStatus.SETTLED, InvoiceExceptionStatus.PAID_LATE, UNIT,
    )  # fmt: skip
    assert shop.captured() == shop.captured_on_chain() == UNIT


@pytest.mark.postgres
def test_refund_sent_outside_the_exchange__debits_the_store(shop: Shop) -> None:
    invoice = shop.invoice(1_000, fee_bps=200)
    shop.pay(invoice, 1_000)
    shop.sweep_and_capture(invoice)
    shop.escrow.functions.refund(shop.terms[invoice.id], 300).transact({"from": shop.operator})
    shop.anvil.mine(2)
    shop.tracker().run_once()

    assert shop.captured_on_chain() == 700
    # The fee on the refunded part (2 % of 300) goes back with it.
    assert shop.captured() == 1_000 - 20 - (300 - 6)
    assert _fees(shop) == 20 - 6


@pytest.mark.postgres
def test_sale_refunded_in_two_parts__gives_back_the_whole_fee__the_store_returns_its_credit(
    shop: Shop,
) -> None:
    # 150 at 1 %: a fee of 1. Each half on its own rounds to a fee of 0, which would keep the
    # fee of a sale refunded in full and take 150 from a store credited 149.
    invoice = shop.invoice(150, fee_bps=100)
    shop.pay(invoice, 150)
    shop.sweep_and_capture(invoice)
    tracker = shop.tracker()
    shop.anvil.mine(2)
    tracker.run_once()
    assert (shop.captured(), _fees(shop)) == (149, 1)

    for _ in range(2):
        shop.escrow.functions.refund(shop.terms[invoice.id], 75).transact({"from": shop.operator})
    shop.anvil.mine(2)
    tracker.run_once()

    assert shop.captured_on_chain() == 0
    assert (shop.captured(), _fees(shop)) == (0, 0)
    refunds = sorted(e.fee for e in shop.entries() if e.kind is TxKind.REFUNDED)
    assert refunds == [0, 1]


@pytest.mark.postgres
def test_payers_own_reclaim_of_an_unswept_deposit__takes_it_off_the_paid_amount(
    shop: Shop,
) -> None:
    invoice = shop.invoice(UNIT, payer=shop.payer)
    shop.pay(invoice, UNIT)
    tracker = shop.tracker()
    shop.anvil.mine(2)
    tracker.run_once()
    assert shop.reload(invoice).amount_paid == UNIT

    shop.anvil.rpc("evm_increaseTime", 2 * 86_400)  # past the authorization expiry
    shop.anvil.mine(1)
    shop.escrow.functions.reclaimDeposit(shop.terms[invoice.id]).transact({"from": shop.payer})
    shop.anvil.mine(2)
    tracker.run_once()

    assert shop.on_chain(invoice) == 0
    assert shop.reload(invoice).amount_paid == 0
    [reclaimed] = [e for e in shop.entries() if e.event == "DepositReclaimed"]
    assert (reclaimed.status, reclaimed.sender) == (TxStatus.CONFIRMED, shop.payer.lower())


@pytest.mark.postgres
def test_fee_bumped_replacement__is_adopted_by_its_reference_and_confirmed(shop: Shop) -> None:
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, UNIT)
    shop.sweep(invoice)
    w3 = shop.anvil.w3
    nonce = w3.eth.get_transaction_count(shop.operator)
    capture = shop.escrow.functions.capture(shop.terms[invoice.id], UNIT)
    shop.anvil.rpc("evm_setAutomine", False)
    first = capture.transact({"from": shop.operator, "nonce": nonce, "gasPrice": 2 * 10**9})
    shop.log_capture(invoice, "0x" + bytes(first).hex())
    bumped = capture.transact({"from": shop.operator, "nonce": nonce, "gasPrice": 4 * 10**9})
    shop.anvil.rpc("evm_setAutomine", True)
    shop.anvil.mine(3)
    assert w3.eth.get_transaction_receipt(bumped)["status"] == 1

    shop.tracker().run_once()
    request = next(e for e in shop.entries() if e.kind is TxKind.CAPTURE)
    assert request.tx_hash == "0x" + bytes(bumped).hex()
    assert request.status is TxStatus.CONFIRMED
    # The request says the call was made; the confirmed PaymentCaptured credited the store.
    with Session(shop.engine) as session:
        assert session.scalars(select(FeeBalance)).all() == []  # fee 0: nothing accrued
    assert shop.captured() == shop.captured_on_chain() == UNIT


@pytest.mark.postgres
def test_eth_at_an_erc20_invoices_address__recorded_in_eth__not_paid__returned_by_a_sweep(
    shop: Shop,
) -> None:
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, UNIT)
    stray = shop.anvil.w3.eth.send_transaction(
        {"from": shop.payer, "to": invoice.deposit_address, "value": 5}
    )
    tracker = shop.tracker()
    shop.anvil.mine(2)
    tracker.run_once()
    eth = [e for e in shop.entries() if e.coin_id == shop.eth_coin_id]
    assert [(e.kind, e.amount, e.tx_hash, e.sender) for e in eth] == [
        (TxKind.PAYMENT, 5, "0x" + bytes(stray).hex(), shop.payer.lower()),
    ]  # fmt: skip
    paid = shop.reload(invoice)
    assert (paid.amount_paid, paid.exception_status) == (UNIT, None)  # not PaidOver

    # The sweep attests the ETH too: it goes back to its sender, the token is kept.
    ethers = [(shop.payer, 5, bytes(stray), 2**32 - 1)]
    deposit = (*shop.deposit(invoice, capture=True)[:2], ethers, True)
    shop.escrow.functions.sweep([deposit]).transact({"from": shop.operator})
    shop.anvil.mine(2)
    tracker.run_once()
    returned = [e for e in shop.entries() if e.kind is TxKind.RETURNED]
    assert [(e.coin_id, e.amount, e.attested_key) for e in returned] == [
        (shop.eth_coin_id, 5, eth[0].idempotency_key),
    ]  # fmt: skip
    assert shop.anvil.w3.eth.get_balance(invoice.deposit_address) == 0
    assert shop.reload(invoice).amount_paid == UNIT
    assert shop.captured() == UNIT
