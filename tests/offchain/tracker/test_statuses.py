from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from coinpos.db.models import InvoiceExceptionStatus, InvoiceStatus, TxStatus
from coinpos.tracker.observations import detach_removed
from tests.offchain.tracker.conftest import UNIT, Shop


def _chain_time(shop: Shop) -> datetime:
    return datetime.fromtimestamp(shop.anvil.w3.eth.get_block("latest")["timestamp"], UTC)


@pytest.mark.postgres
def test_unpaid_invoice__expires_when_the_chain_passes_its_deadline(shop: Shop) -> None:
    invoice = shop.invoice(UNIT, pay_deadline=_chain_time(shop) + timedelta(minutes=15))
    tracker = shop.tracker()
    tracker.run_once()
    assert shop.reload(invoice).status is InvoiceStatus.NEW

    shop.anvil.rpc("evm_increaseTime", 16 * 60)
    shop.anvil.mine(1)
    tracker.run_once()
    assert shop.reload(invoice).status is InvoiceStatus.EXPIRED


@pytest.mark.postgres
def test_late_payment__is_recorded_confirmed_and_flagged_paid_late(shop: Shop) -> None:
    invoice = shop.invoice(UNIT, pay_deadline=_chain_time(shop) + timedelta(minutes=15))
    shop.anvil.rpc("evm_increaseTime", 20 * 60)
    shop.pay(invoice, UNIT)
    shop.anvil.mine(2)
    shop.tracker().run_once()

    late = shop.reload(invoice)
    assert (late.status, late.exception_status) == (
        InvoiceStatus.EXPIRED,
        InvoiceExceptionStatus.PAID_LATE,
    )
    assert late.amount_paid == shop.valid_total(invoice) == shop.on_chain(invoice) == UNIT


@pytest.mark.postgres
def test_log_reported_removed__detaches_its_entry(shop: Shop) -> None:
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, UNIT)
    shop.tracker(depth=5).run_once()
    [entry] = shop.entries()
    assert entry.tx_hash is not None and entry.log_index is not None
    removed = {
        "removed": True,
        "transactionHash": entry.tx_hash,
        "logIndex": hex(entry.log_index),
        "blockHash": entry.block_hash,
    }
    with Session(shop.engine) as session:
        assert detach_removed(session, 31337, [removed], datetime.now(UTC)) == 1
        session.commit()
    [entry] = shop.entries()
    assert entry.status is TxStatus.PENDING and entry.block_hash is None
