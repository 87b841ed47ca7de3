from __future__ import annotations

import pytest

from coinpos.db.models import InvoiceExceptionStatus, InvoiceStatus, TxStatus
from tests.offchain.tracker.conftest import UNIT, Shop


@pytest.mark.postgres
def test_deposit__is_pending_until_deep_enough__then_valid_once(shop: Shop) -> None:
    invoice = shop.invoice(5 * UNIT)
    shop.pay(invoice, 5 * UNIT)
    tracker = shop.tracker(depth=3)

    first = tracker.run_once()
    [entry] = shop.entries()
    assert (first.recorded, first.confirmed) == (1, 0)
    assert entry.status is TxStatus.PENDING and entry.block_hash is not None
    assert shop.reload(invoice).status is InvoiceStatus.PROCESSING

    shop.anvil.mine(1)
    assert tracker.run_once().confirmed == 0  # two deep, three needed
    shop.anvil.mine(1)
    assert tracker.run_once().confirmed == 1
    assert tracker.run_once().recorded == 0  # a second run changes nothing

    settled = shop.reload(invoice)
    assert settled.status is InvoiceStatus.SETTLED
    assert settled.amount_paid == 5 * UNIT == shop.valid_total(invoice) == shop.on_chain(invoice)


@pytest.mark.postgres
def test_partial_over_and_eth_payments__get_their_exception_status(shop: Shop) -> None:
    partial, over, eth = (
        shop.invoice(10 * UNIT),
        shop.invoice(10 * UNIT),
        shop.invoice(UNIT, eth=True),
    )
    shop.pay(partial, 4 * UNIT)
    shop.pay(over, 7 * UNIT)
    shop.pay(over, 7 * UNIT)
    shop.pay(eth, UNIT // 2)
    shop.pay(eth, UNIT // 2)
    tracker = shop.tracker(depth=2)
    tracker.run_once()
    # An ETH deposit has no log: it is anchored to the end of the range it was seen in.
    shop.anvil.mine(1)
    tracker.run_once()

    got = {i.id: shop.reload(i) for i in (partial, over, eth)}
    assert (got[partial.id].status, got[partial.id].exception_status) == (
        InvoiceStatus.NEW,
        InvoiceExceptionStatus.PAID_PARTIAL,
    )
    assert (got[over.id].status, got[over.id].exception_status) == (
        InvoiceStatus.SETTLED,
        InvoiceExceptionStatus.PAID_OVER,
    )
    assert got[eth.id].status is InvoiceStatus.SETTLED
    for invoice in (partial, over, eth):
        assert shop.valid_total(invoice) == shop.on_chain(invoice) == got[invoice.id].amount_paid
