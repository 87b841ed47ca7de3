"""The tracker against a node that serves state for the newest 128 blocks only (as geth and
most full nodes do): ETH and token deposits found from blocks, logs and receipts, never from
historical state; and what a plain transfer's receipt or the balance at the head adds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import InvoiceStatus, Notification, TrackerCursor, TxKind, TxStatus
from coinpos.tracker.errors import RpcError
from coinpos.tracker.keys import ETH_VALUE_INDEX
from coinpos.tracker.rpc import JsonRpcClient
from tests.offchain.tracker.conftest import UNIT, Shop
from tests.offchain.tracker.state_proxy import RECENT_STATE, StateProxy


@pytest.fixture
def proxy(shop: Shop) -> Iterator[StateProxy]:
    node = StateProxy(shop.anvil.url)
    try:
        yield node
    finally:
        node.close()


class _Stop(Exception):
    """The tracker process going away between two ranges."""


def _topics(shop: Shop, topic: str) -> list[Notification]:
    with Session(shop.engine) as session:
        return list(session.scalars(select(Notification).where(Notification.topic == topic)))


@pytest.mark.postgres
def test_catch_up_past_the_recent_state__eth_and_token_deposits_confirmed_once(
    shop: Shop, proxy: StateProxy
) -> None:
    invoices = [shop.invoice((n + 1) * UNIT, eth=n % 2 == 0) for n in range(6)]
    paid: dict[int, str] = {}
    for invoice in invoices:
        paid[invoice.id] = shop.pay(invoice, invoice.amount)
        shop.anvil.mine(30)  # the early payments end far below the node's recent state
    shop.anvil.mine(RECENT_STATE)
    head = shop.anvil.w3.eth.block_number

    # The proxy bites: the balance a historical method would read at an old block is refused,
    # while the same read at the head is served.
    client = JsonRpcClient(proxy.url)
    assert invoices[0].deposit_address is not None
    with pytest.raises(RpcError, match="missing trie node"):
        client.call("eth_getBalance", [invoices[0].deposit_address, hex(5)])
    assert int(client.call("eth_getBalance", [invoices[0].deposit_address, "latest"]), 16) == UNIT

    # The tracker stops after three ranges, and a new one picks up from the cursor.
    ranges = 0

    def stop_after_three(done: int, total: int) -> None:
        nonlocal ranges
        ranges += 1
        if ranges == 3:
            raise _Stop

    with pytest.raises(_Stop):
        shop.tracker(url=proxy.url, batch_blocks=25).run_once(stop_after_three)
    shop.tracker(url=proxy.url, batch_blocks=25).run_once()

    refusals_before = proxy.refusals
    payments = [e for e in shop.entries() if e.kind is TxKind.PAYMENT]
    assert len(payments) == len(invoices)
    assert all(e.status is TxStatus.CONFIRMED for e in payments)
    by_invoice = {e.invoice_id: e for e in payments}
    payer = shop.payer.lower()
    for invoice in invoices:
        entry = by_invoice[invoice.id]
        assert entry.tx_hash == paid[invoice.id] and entry.sender == payer
        eth = invoice.coin_id == shop.eth_coin_id
        assert (entry.log_index == ETH_VALUE_INDEX) is eth
        receipt = shop.anvil.w3.eth.get_transaction_receipt(paid[invoice.id])
        assert entry.block_number == receipt["blockNumber"]
        assert shop.valid_total(invoice) == shop.on_chain(invoice) == invoice.amount
        assert shop.reload(invoice).status is InvoiceStatus.SETTLED
    assert proxy.refusals == refusals_before  # the tracker never asked for old state
    assert shop.entries()[-1].block_number is not None
    assert _cursor_moved_to(shop) == head


def test_reverted_plain_transfer_to_a_deposit_address__is_not_counted(shop: Shop) -> None:
    refused, accepted = shop.invoice(UNIT, eth=True), shop.invoice(UNIT, eth=True)
    assert refused.deposit_address is not None
    # Code that reverts whatever it is sent (PUSH1 0 PUSH1 0 REVERT) at one deposit address.
    shop.anvil.rpc("anvil_setCode", refused.deposit_address, "0x60006000fd")
    reverted = shop.anvil.w3.eth.send_transaction(
        {"from": shop.payer, "to": refused.deposit_address, "value": UNIT, "gas": 50_000}
    )
    assert shop.anvil.w3.eth.get_transaction_receipt(reverted)["status"] == 0
    shop.pay(accepted, UNIT)
    shop.anvil.mine(2)

    shop.tracker().run_once()

    [entry] = shop.entries()
    assert entry.invoice_id == accepted.id and entry.status is TxStatus.CONFIRMED
    assert shop.on_chain(refused) == shop.valid_total(refused) == 0
    assert shop.reload(refused).status is InvoiceStatus.NEW


def test_eth_arriving_without_a_transaction__is_flagged_for_staff_once(shop: Shop) -> None:
    seen, unseen = shop.invoice(UNIT, eth=True), shop.invoice(UNIT, eth=True)
    shop.pay(seen, UNIT)
    # ETH put there with no transaction to the address, as a contract's internal call does.
    assert unseen.deposit_address is not None
    shop.anvil.rpc("anvil_setBalance", unseen.deposit_address, hex(UNIT // 2))
    shop.anvil.mine(2)
    tracker = shop.tracker()

    assert tracker.run_once().unexplained == 1
    # A sweep moves the explained deposit out: what is left still matches the log.
    shop.sweep_and_capture(seen)
    shop.anvil.mine(2)
    assert tracker.run_once().unexplained == 1

    [flag] = _topics(shop, "unexplained_deposit")  # once, however many passes see it
    assert flag.payload["deposit_address"] == unseen.deposit_address.lower()
    assert flag.payload["unexplained"] == str(UNIT // 2)
    assert shop.valid_total(unseen) == 0  # neither credited ...
    assert shop.valid_total(seen) == UNIT  # ... nor mistaken for the explained one


def _cursor_moved_to(shop: Shop) -> int:
    with Session(shop.engine) as session:
        return max(session.scalars(select(TrackerCursor.last_block)))
