"""A settlement run's `Settled` moves every store of its batch from reserved to settled once
it is confirmed, whoever sent it, and a reorg that removes it moves them back. Reconcile
agrees with the pools before and after."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import (
    FeeBalance,
    Settlement,
    SettlementBatch,
    SettlementStatus,
    StoreBalance,
)
from coinpos.rates.service import set_rate
from coinpos.reconcile.service import reconcile
from coinpos.settlement.batches import make_batches
from coinpos.settlement.service import SettlementRequest, request_settlement
from coinpos.tracker.chain import ChainReader
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.factories import make_store
from tests.offchain.tracker.conftest import Shop

# Base units of the 18-decimal test token: 10,000 F is 10 TST.
F = 10**15


def _balances(shop: Shop) -> dict[str, tuple[int, int, int]]:
    with Session(shop.engine) as session:
        return {
            b.store_id: (b.captured, b.reserved, b.settled)
            for b in session.scalars(select(StoreBalance))
        }


def _statuses(shop: Shop) -> list[SettlementStatus]:
    with Session(shop.engine) as session:
        return [s.status for s in session.scalars(select(Settlement).order_by(Settlement.id))]


def _agrees(shop: Shop) -> bool:
    with Session(shop.engine) as session:
        report = reconcile(session, ChainReader(JsonRpcClient(shop.anvil.url)), shop.escrow.address)
    return report.agrees


@pytest.mark.postgres
def test_settled_of_a_two_store_batch__settles_both__and_a_reorg_takes_it_back(
    shop: Shop,
) -> None:
    other = make_store(shop.engine, "Second Cafe")
    first = shop.invoice(10_000 * F, fee_bps=100)
    second = shop.invoice(20_000 * F, fee_bps=250)
    with UnitOfWork(shop.engine) as uow:
        uow.session.get_one(type(second), second.id).store_id = other.store_id
        uow.commit()
    for invoice in (first, second):
        shop.pay(invoice, invoice.amount)
    shop.sweep(first, second, capture=True)
    tracker = shop.tracker(depth=2)
    shop.anvil.mine(2)
    tracker.run_once()
    assert _balances(shop) == {
        shop.store.store_id: (9_900 * F, 0, 0), other.store_id: (19_500 * F, 0, 0),
    }  # fmt: skip
    assert _agrees(shop)

    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "TST", "KRW", Decimal("1000"))
        uow.commit()
    for store_id, key in ((shop.store.store_id, "a"), (other.store_id, "b")):
        with UnitOfWork(shop.engine) as uow:
            request_settlement(uow, SettlementRequest(store_id, "TST", key, fee_bps=0))
    with UnitOfWork(shop.engine) as uow:
        [batch] = make_batches(uow)
        reference, payout, fees = batch.reference, batch.payout, batch.fees
    assert (payout, fees) == (29_400 * F, 600 * F)
    assert _balances(shop)[other.store_id] == (19_500 * F, 19_500 * F, 0)  # reserved, not settled

    # The run's call, sent here straight to the escrow: the event is what counts.
    shop.escrow.functions.settle(
        shop.token.address, payout, fees, bytes.fromhex(reference[2:])
    ).transact({"from": shop.operator})
    shop.anvil.mine(2)
    tracker.run_once()
    assert _balances(shop) == {
        shop.store.store_id: (9_900 * F, 0, 9_900 * F), other.store_id: (19_500 * F, 0, 19_500 * F),
    }  # fmt: skip
    assert _statuses(shop) == [SettlementStatus.SETTLED] * 2
    with Session(shop.engine) as session:
        assert session.scalars(select(SettlementBatch)).one().status is SettlementStatus.SETTLED
        fee_account = session.get(FeeBalance, shop.coin_id)
        assert fee_account is not None and (fee_account.accrued, fee_account.settled) == (
            600 * F,
            600 * F,
        )
    assert shop.pool() == (0, 0, 600 * F, 0)
    assert _agrees(shop)

    # The settle's block and the two after it are replaced: the Settled is gone.
    shop.anvil.rpc("anvil_reorg", 3, [])
    tracker.run_once()
    assert _balances(shop)[other.store_id] == (19_500 * F, 19_500 * F, 0)
    assert _statuses(shop) == [SettlementStatus.SUBMITTED] * 2
    assert shop.pool() == (0, 30_000 * F, 0, 0)
    with Session(shop.engine) as session:
        fee_account = session.get(FeeBalance, shop.coin_id)
        assert fee_account is not None and fee_account.settled == 0
    assert _agrees(shop)


@pytest.mark.postgres
def test_reconcile__reads_both_sides_below_an_event_still_waiting_for_its_depth(
    shop: Shop,
) -> None:
    invoice = shop.invoice(10_000 * F, fee_bps=100)
    shop.pay(invoice, invoice.amount)
    shop.sweep_and_capture(invoice)
    capture_block = shop.anvil.w3.eth.block_number
    tracker = shop.tracker(depth=3)
    tracker.run_once()  # the capture is seen, not yet deep enough: no credit
    assert _balances(shop) == {}
    with Session(shop.engine) as session:
        report = reconcile(session, ChainReader(JsonRpcClient(shop.anvil.url)), shop.escrow.address)
    # At the head the pool has the capture and the ledger not yet; below it both agree.
    assert report.block == capture_block - 1 and report.agrees
    assert shop.pool()[1] == 10_000 * F

    shop.anvil.mine(3)
    tracker.run_once()
    with Session(shop.engine) as session:
        report = reconcile(session, ChainReader(JsonRpcClient(shop.anvil.url)), shop.escrow.address)
    assert report.block == shop.anvil.w3.eth.block_number and report.agrees
    captured = [line for line in report.lines if line.field == "captured" and line.coin == "TST"]
    assert [(line.ledger, line.chain) for line in captured] == [(10_000 * F, 10_000 * F)]
