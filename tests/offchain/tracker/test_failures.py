from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import InvoiceStatus, Notification, TxStatus
from coinpos.db.types import utcnow
from tests.offchain.tracker.conftest import UNIT, Shop


def _send_capture(shop: Shop, invoice_terms: tuple[object, ...], gas: int) -> str:
    tx = shop.escrow.functions.capture(invoice_terms, UNIT).transact(
        {"from": shop.operator, "gas": gas}
    )
    return "0x" + bytes(tx).hex()


def _notifications(shop: Shop) -> list[Notification]:
    with Session(shop.engine) as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


@pytest.mark.postgres
def test_capture_reverting_with_a_custom_error__is_failed_with_the_decoded_error(
    shop: Shop,
) -> None:
    invoice = shop.invoice(UNIT)  # never paid: capture reverts with PaymentEscrowInvalidStatus
    shop.log_capture(invoice, _send_capture(shop, shop.terms[invoice.id], 300_000))
    summary = shop.tracker().run_once()

    [entry] = shop.entries()
    assert summary.failed == 1 and entry.status is TxStatus.FAILED
    assert entry.failure_reason is not None
    assert entry.failure_reason.startswith("reverted with PaymentEscrowInvalidStatus(")
    assert f"invoiceHash={invoice.invoice_hash}" in entry.failure_reason
    assert "expected=1, found=0" in entry.failure_reason
    assert [n.topic for n in _notifications(shop)] == ["transaction_failed"]
    assert shop.captured() == 0


@pytest.mark.postgres
def test_capture_out_of_gas__is_failed_as_out_of_gas(shop: Shop) -> None:
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, UNIT)
    shop.sweep(invoice)
    shop.log_capture(invoice, _send_capture(shop, shop.terms[invoice.id], 40_000))
    shop.anvil.mine(2)
    shop.tracker().run_once()

    capture = next(e for e in shop.entries() if e.kind.value == "capture")
    assert capture.status is TxStatus.FAILED
    assert capture.failure_reason == "out of gas (used all 40,000 of its gas limit)"
    assert shop.captured() == shop.captured_on_chain() == 0
    # The payment itself stands: the sweep moved it into the escrow, it was not counted twice.
    assert shop.valid_total(invoice) == UNIT
    assert shop.reload(invoice).status is InvoiceStatus.SETTLED


@pytest.mark.postgres
def test_dropped_capture__stays_pending__then_is_cancelled_and_notified(shop: Shop) -> None:
    invoice = shop.invoice(UNIT)
    shop.anvil.rpc("evm_setAutomine", False)
    tx = _send_capture(shop, shop.terms[invoice.id], 300_000)
    shop.log_capture(invoice, tx)
    shop.anvil.rpc("anvil_dropTransaction", tx)
    shop.anvil.rpc("evm_setAutomine", True)
    shop.anvil.mine(3)

    tracker = shop.tracker()
    tracker.run_once()
    [entry] = shop.entries()
    assert entry.status is TxStatus.PENDING and entry.block_hash is None

    tracker.clock = lambda: utcnow() + timedelta(days=1, minutes=1)
    assert tracker.run_once().cancelled == 1
    assert tracker.run_once().cancelled == 0
    [entry] = shop.entries()
    assert entry.status is TxStatus.CANCELLED
    assert entry.failure_reason is not None and "never mined or was dropped" in entry.failure_reason
    notes = [n for n in _notifications(shop) if n.topic == "entry_cancelled"]
    assert len(notes) == 1 and notes[0].payload["tx_hash"] == tx
    assert shop.captured() == 0
