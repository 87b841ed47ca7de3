from __future__ import annotations

import pytest

from coinpos.db.models import InvoiceExceptionStatus, InvoiceStatus, TxStatus
from coinpos.tracker.config import ConfirmationRule, TrackerConfig, default_rule
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


@pytest.mark.postgres
def test_finalized_rule__confirms_only_at_or_below_the_finalized_block(shop: Shop) -> None:
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, UNIT)
    paid_in = shop.anvil.w3.eth.block_number
    tracker = shop.tracker()
    tracker.config = TrackerConfig(
        escrow=shop.escrow.address, rule=ConfirmationRule(tag="finalized")
    )
    shop.anvil.mine(20)  # far deeper than any default depth, but not finalized
    assert tracker.run_once().confirmed == 0
    while int(shop.anvil.rpc("eth_getBlockByNumber", "finalized", False)["number"], 16) < paid_in:
        shop.anvil.mine(8)
    assert tracker.run_once().confirmed == 1
    assert shop.valid_total(invoice) == shop.on_chain(invoice) == UNIT


@pytest.mark.parametrize(
    ("text", "rule"),
    [("12", ConfirmationRule(depth=12)), ("safe", ConfirmationRule(tag="safe"))],
)
def test_confirmation_rule__parses_a_depth_or_a_tag(text: str, rule: ConfirmationRule) -> None:
    assert ConfirmationRule.parse(text) == rule


def test_default_rules__per_network__both_local_chain_ids_alike() -> None:
    assert [str(default_rule(c)) for c in (31337, 1337, 11155111, 1, 10)] == [
        "2 blocks", "2 blocks", "3 blocks", "12 blocks", "12 blocks",
    ]  # fmt: skip
