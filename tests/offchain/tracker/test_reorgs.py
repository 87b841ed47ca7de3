from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import InvoiceStatus, Notification, TxStatus
from coinpos.db.status import database_status
from coinpos.db.types import utcnow
from coinpos.reports.service import sales_report
from coinpos.tracker.service import Tracker
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.tracker.conftest import UNIT, Shop


def _topics(shop: Shop) -> list[str]:
    with Session(shop.engine) as session:
        return list(session.scalars(select(Notification.topic)))


@pytest.mark.postgres
def test_reorg_deeper_than_depth_before_confirmation__detaches_and_rescans(shop: Shop) -> None:
    invoice = shop.invoice(3 * UNIT)
    shop.pay(invoice, 3 * UNIT)
    tracker = shop.tracker(depth=2)
    assert tracker.run_once().recorded == 1
    assert shop.reload(invoice).status is InvoiceStatus.PROCESSING

    # Three blocks replaced (deeper than the depth of 2): the payment is no longer on chain.
    shop.anvil.rpc("anvil_reorg", 3, [])
    shop.anvil.mine(3)
    summary = tracker.run_once()

    assert summary.reorgs >= 1 and summary.detached == 1 and summary.confirmed == 0
    # The rescan passed its old block without finding it: dropped with its reason, not left
    # pending to expire into a false alert.
    [entry] = shop.entries()
    assert entry.status is TxStatus.DROPPED and entry.block_hash is None
    assert entry.failure_reason is not None and "reorged out" in entry.failure_reason
    assert shop.reload(invoice).status is InvoiceStatus.NEW
    assert shop.valid_total(invoice) == shop.on_chain(invoice) == 0
    assert "reorg" in _topics(shop)

    # The payer pays again on the new chain: counted once, confirmed once.
    shop.pay(invoice, 3 * UNIT)
    shop.anvil.mine(2)
    tracker.run_once()
    assert shop.valid_total(invoice) == shop.on_chain(invoice) == 3 * UNIT
    assert shop.reload(invoice).status is InvoiceStatus.SETTLED


@pytest.mark.postgres
def test_payment_moved_to_another_block_by_a_reorg__is_anchored_there_once(shop: Shop) -> None:
    invoice = shop.invoice(2 * UNIT)
    tx = shop.pay(invoice, 2 * UNIT)
    tracker = shop.tracker(depth=3)
    tracker.run_once()
    [before] = shop.entries()

    # Same transaction (same hash), re-mined in the block that replaces its own.
    shop.anvil.rpc("anvil_reorg", 1, [[_reinclude(shop, tx), 0]])
    shop.anvil.mine(3)
    tracker.run_once()

    assert shop.valid_total(invoice) == shop.on_chain(invoice) == 2 * UNIT
    [entry] = shop.entries()
    assert entry.id == before.id and entry.status is TxStatus.CONFIRMED
    assert entry.tx_hash == tx and entry.block_hash != before.block_hash
    assert shop.reload(invoice).status is InvoiceStatus.SETTLED


@pytest.mark.postgres
def test_reorg_after_confirmation__unwinds_the_valid_capture_and_its_balance(shop: Shop) -> None:
    invoice = shop.invoice(4 * UNIT)
    shop.pay(invoice, 4 * UNIT)
    shop.log_capture(invoice, shop.sweep_and_capture(invoice))
    shop.anvil.mine(2)
    tracker = shop.tracker(depth=2)
    summary = tracker.run_once()
    # The payment, the sweep's DepositKept and PaymentCaptured, and the exchange's request.
    assert summary.confirmed == 4
    assert shop.captured() == shop.captured_on_chain() == 4 * UNIT
    assert shop.reload(invoice).status is InvoiceStatus.SETTLED

    # Four blocks replaced: payment and capture were both at depth 2 or more, now both gone.
    shop.anvil.rpc("anvil_reorg", 4, [])
    summary = tracker.run_once()

    assert summary.detached == 4 and summary.confirmed == 0
    assert shop.captured() == shop.captured_on_chain() == 0
    assert shop.valid_total(invoice) == shop.on_chain(invoice) == 0
    assert shop.reload(invoice).status is InvoiceStatus.NEW
    assert _topics(shop).count("transaction_unwound") == 4


@pytest.mark.postgres
def test_rescan_after_a_shallow_reorg__measures_eth_deposits_once(shop: Shop) -> None:
    first, second = shop.invoice(UNIT, eth=True), shop.invoice(2 * UNIT, eth=True)
    shop.pay(first, UNIT)
    shop.pay(second, 2 * UNIT)  # both rises measured over the same range
    tracker = shop.tracker(depth=4)
    tracker.run_once()
    shop.anvil.mine(1)
    tracker.run_once()

    # Only the newest block is replaced, but the rescan margin reaches back into the range
    # the deposits were measured over: they must be measured again, not added again.
    shop.anvil.rpc("anvil_reorg", 1, [])
    shop.anvil.mine(4)
    summary = tracker.run_once()

    assert summary.reorgs >= 1
    for invoice in (first, second):
        assert shop.reload(invoice).amount_paid == invoice.amount  # seen once, not twice
    shop.anvil.mine(4)  # the new measurement is anchored at the new range's end
    tracker.run_once()
    for invoice in (first, second):
        assert shop.valid_total(invoice) == shop.on_chain(invoice) == invoice.amount
        assert shop.reload(invoice).amount_paid == invoice.amount


# -- ETH and token deposits alike: one entry per payment, no pending ghost ---------------

KINDS = pytest.mark.parametrize("eth", [False, True], ids=["token", "eth"])


def _a_day_later(shop: Shop, tracker: Tracker) -> None:
    """A pass two days on: anything still pending would be cancelled and alerted now."""
    later = utcnow() + timedelta(days=2)
    tracker.clock = lambda: later
    tracker.run_once()
    assert "entry_cancelled" not in _topics(shop)


def _counts(shop: Shop) -> dict[str, Any]:
    status = database_status(shop.engine)
    with UnitOfWork(shop.engine) as uow:
        report = sales_report(uow, shop.store.store_id)
    return {
        "pending": status["pending_log_entries"],
        "dropped": status["dropped_log_entries"],
        "valid": status["valid_transactions"],
        "report_pending": report.counts["pending"],
    }


def _reinclude(shop: Shop, tx: str) -> dict[str, Any]:
    """The transaction as sent, fees included, so that re-sent it has the same hash."""
    raw = shop.anvil.w3.eth.get_transaction(tx)
    fields = ("nonce", "gas", "value", "maxFeePerGas", "maxPriorityFeePerGas")
    request = {name: hex(raw[name]) for name in fields}
    data = "0x" + bytes(raw["input"]).hex()
    return {**request, "from": raw["from"], "to": raw["to"], "data": data}


@pytest.mark.postgres
@KINDS
def test_deposit_reorged_out_before_confirmation__dropped_and_paid_again_once(
    shop: Shop, eth: bool
) -> None:
    invoice = shop.invoice(2 * UNIT, eth=eth)
    shop.pay(invoice, 2 * UNIT)
    tracker = shop.tracker(depth=3)
    assert tracker.run_once().recorded == 1

    shop.anvil.rpc("anvil_reorg", 2, [])
    shop.anvil.mine(3)
    summary = tracker.run_once()
    assert (summary.detached, summary.dropped) == (1, 1)
    assert shop.reload(invoice).status is InvoiceStatus.NEW

    shop.pay(invoice, 2 * UNIT)
    shop.anvil.mine(3)
    tracker.run_once()
    _a_day_later(shop, tracker)

    statuses = sorted(e.status for e in shop.entries())
    assert statuses == [TxStatus.CONFIRMED, TxStatus.DROPPED]
    assert _counts(shop) == {"pending": 0, "dropped": 1, "valid": 1, "report_pending": 0}
    assert shop.valid_total(invoice) == shop.on_chain(invoice) == 2 * UNIT
    assert shop.reload(invoice).status is InvoiceStatus.SETTLED


@pytest.mark.postgres
@KINDS
def test_deposit_reorged_out_after_confirmation__unwound_with_an_alert_then_dropped(
    shop: Shop, eth: bool
) -> None:
    invoice = shop.invoice(UNIT, eth=eth)
    shop.pay(invoice, UNIT)
    shop.anvil.mine(2)
    tracker = shop.tracker(depth=2)
    assert tracker.run_once().confirmed == 1

    shop.anvil.rpc("anvil_reorg", 4, [])
    summary = tracker.run_once()
    assert (summary.detached, summary.dropped) == (1, 1)
    _a_day_later(shop, tracker)

    [entry] = shop.entries()
    assert entry.status is TxStatus.DROPPED
    assert _topics(shop).count("transaction_unwound") == 1
    assert _counts(shop) == {"pending": 0, "dropped": 1, "valid": 0, "report_pending": 0}
    assert shop.valid_total(invoice) == shop.on_chain(invoice) == 0
    assert shop.reload(invoice).status in (InvoiceStatus.NEW, InvoiceStatus.EXPIRED)


@pytest.mark.postgres
@KINDS
def test_same_deposit_reincluded_in_another_block__one_entry_re_anchored(
    shop: Shop, eth: bool
) -> None:
    invoice = shop.invoice(UNIT, eth=eth)
    tx = shop.pay(invoice, UNIT)
    shop.anvil.mine(1)
    tracker = shop.tracker(depth=4)
    tracker.run_once()
    [before] = shop.entries()

    # The payment's block and the next replaced; the same transaction lands one block later.
    shop.anvil.rpc("anvil_reorg", 2, [[_reinclude(shop, tx), 1]])
    shop.anvil.mine(4)
    tracker.run_once()
    _a_day_later(shop, tracker)

    [after] = shop.entries()
    assert after.id == before.id and after.status is TxStatus.CONFIRMED
    assert after.tx_hash == tx and after.block_number == before.block_number + 1
    assert _counts(shop) == {"pending": 0, "dropped": 0, "valid": 1, "report_pending": 0}
    assert shop.valid_total(invoice) == shop.on_chain(invoice) == UNIT
