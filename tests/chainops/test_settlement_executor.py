"""Settlement runs on the v2 escrow, end to end: two stores' captures confirmed by the real
tracker (the ledger applies each invoice's fee), their requests carried by one settle per
coin whose reference names no store, sent once, refused when the chain does not hold it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from sqlalchemy import select, update

from coinpos.chainops import operations
from coinpos.chainops.escrow import Escrow, address_topic
from coinpos.chainops.sender import TransactionSender
from coinpos.chainops.settlement import EscrowSettlementExecutor, request_checked
from coinpos.db.models import (
    Invoice,
    Settlement,
    SettlementBatch,
    SettlementStatus,
    Store,
    StoreBalance,
)
from coinpos.invoices.service import terms_of
from coinpos.ledger import linked_settlements
from coinpos.rates.service import set_rate
from coinpos.settlement.batches import BatchResult, run_settlements
from coinpos.settlement.executor import BatchCall, ExecutorError
from coinpos.settlement.service import SettlementRequest, UnconfirmedBalanceError
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import CHAIN_ID, Shop
from tests.offchain.factories import make_store


@pytest.fixture
def executor(sender: TransactionSender) -> EscrowSettlementExecutor:
    return EscrowSettlementExecutor(sender)


@pytest.fixture
def second(shop: Shop) -> Store:
    """Another store, with a 2.5 % fee."""
    store = make_store(shop.engine, name="Second Cafe")
    with UnitOfWork(shop.engine) as uow:
        uow.session.execute(
            update(Store).where(Store.store_id == store.store_id).values(fee_bps=250)
        )
        uow.commit()
    return store


@pytest.fixture
def captured(
    issue: Callable[..., Invoice],
    shop: Shop,
    second: Store,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    chain: Any,
    track: Callable[[], Any],
) -> tuple[Invoice, Invoice]:
    """A 12345 capture for the shop (1 % fee: 123) and a 20000 one for the second store
    (2.5 %: 500), both confirmed by the tracker."""
    first = issue()
    other = issue(store_id=second.store_id, amount=20_000)
    for invoice in (first, other):
        escrow.pay(terms_of(invoice, shop.cpw).abi(), invoice.operator_signature, sender=customer)
    with UnitOfWork(shop.engine) as uow:
        operations.capture_many(uow, sender, [first.invoice_hash, other.invoice_hash], key="c")
    chain.mine(2)
    track()
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "CPW", "KRW", Decimal("1000"))
    return first, other


def _for(store_id: str, key: str, amount: int | None = None) -> SettlementRequest:
    return SettlementRequest(
        store_id=store_id, coin="CPW", idempotency_key=key, amount=amount, chain_id=CHAIN_ID
    )


def _available(shop: Shop, store_id: str) -> int:
    with UnitOfWork(shop.engine) as uow:
        balance = uow.session.scalars(
            select(StoreBalance).where(StoreBalance.store_id == store_id)
        ).one()
        return balance.available


def _settled(escrow_client: Escrow, token: str) -> list[str]:
    return escrow_client.event_tx_hashes("Settled", address_topic(token))


def _run(shop: Shop, executor: Any) -> list[BatchResult]:
    with UnitOfWork(shop.engine) as uow:
        return run_settlements(uow, executor)


@pytest.mark.postgres
def test_run__two_stores__one_settle_carrying_both_payouts_and_their_fees(
    captured: tuple[Invoice, Invoice],
    shop: Shop,
    second: Store,
    executor: EscrowSettlementExecutor,
    escrow: Any,
    funded: Any,
    treasury: Any,
    escrow_client: Escrow,
) -> None:
    assert _available(shop, shop.store.store_id) == 12_345 - 123
    assert _available(shop, second.store_id) == 20_000 - 500
    before = funded.balanceOf(treasury)
    with UnitOfWork(shop.engine) as uow:
        request_checked(uow, _for(shop.store.store_id, "a", 10_000), escrow_client)
    with UnitOfWork(shop.engine) as uow:
        request_checked(uow, _for(second.store_id, "b"), escrow_client)
    # Requested amounts are reserved: nothing left to ask twice.
    assert _available(shop, second.store_id) == 0
    (result,) = _run(shop, executor)
    assert (result.settlements, result.stores) == (2, 2)
    assert (result.payout, result.fees) == (10_000 + 19_500, 123 + 500)
    assert result.status is SettlementStatus.SUBMITTED
    assert _settled(escrow_client, str(funded.address)) == [result.tx_hash]
    assert funded.balanceOf(treasury) == before + 29_500
    pool = escrow_client.pool(str(funded.address))
    assert (pool.captured, pool.fees) == (32_345 - 29_500 - 623, 623)
    with UnitOfWork(shop.engine) as uow:
        batch = uow.session.scalars(select(SettlementBatch)).one()
        expected = keccak(
            encode(
                ["bytes32", "bytes32"],
                [bytes.fromhex(batch.batch_id[2:]), bytes.fromhex(batch.salt[2:])],
            )
        )
        assert batch.reference == "0x" + expected.hex()
        linked = linked_settlements(uow.session, batch.reference)
        assert [s.status for s in linked] == [SettlementStatus.SUBMITTED] * 2
        assert [s.log_entry.tx_hash for s in linked] == [result.tx_hash] * 2
    # The call names no store: neither id is in its calldata.
    sent = escrow_client.w3.eth.get_transaction(result.tx_hash)
    calldata = bytes(sent["input"]).hex()
    assert shop.store.store_id[2:] not in calldata and second.store_id[2:] not in calldata


def test_run__again__sends_nothing_more(
    captured: tuple[Invoice, Invoice],
    shop: Shop,
    executor: EscrowSettlementExecutor,
    funded: Any,
    escrow_client: Escrow,
) -> None:
    with UnitOfWork(shop.engine) as uow:
        request_checked(uow, _for(shop.store.store_id, "a", 5_000), escrow_client)
    first = _run(shop, executor)
    assert _run(shop, executor) == []
    assert _settled(escrow_client, str(funded.address)) == [first[0].tx_hash]


def test_request__more_than_the_captured_pool_holds__refused_as_unconfirmed(
    captured: tuple[Invoice, Invoice],
    shop: Shop,
    second: Store,
    escrow: Any,
    operator: Any,
    escrow_client: Escrow,
) -> None:
    _, other = captured
    # Refunded on chain, not yet seen by the tracker: the ledger still counts it.
    escrow.refund(terms_of(other, shop.cpw).abi(), 20_000, sender=operator)
    with UnitOfWork(shop.engine) as uow:
        request_checked(uow, _for(shop.store.store_id, "a", 12_222), escrow_client)
    # The pool is per token: it is what every store's requests together must fit in.
    with UnitOfWork(shop.engine) as uow, pytest.raises(UnconfirmedBalanceError) as refused:
        request_checked(uow, _for(second.store_id, "b", 19_500), escrow_client)
    assert "captured pool holds 12345" in str(refused.value)
    with UnitOfWork(shop.engine) as uow:
        assert [s.store_id for s in uow.session.scalars(select(Settlement))] == [
            shop.store.store_id
        ]


def test_run__pool_short_at_send__batch_stays_requested_and_nothing_is_sent(
    captured: tuple[Invoice, Invoice],
    shop: Shop,
    second: Store,
    executor: EscrowSettlementExecutor,
    escrow: Any,
    operator: Any,
    funded: Any,
    escrow_client: Escrow,
) -> None:
    with UnitOfWork(shop.engine) as uow:
        request_checked(uow, _for(second.store_id, "b"), escrow_client)
    _, other = captured
    escrow.refund(terms_of(other, shop.cpw).abi(), 20_000, sender=operator)
    (result,) = _run(shop, executor)
    assert result.status is SettlementStatus.REQUESTED and result.tx_hash is None
    assert result.error is not None and "captured pool holds 12345" in result.error
    assert _settled(escrow_client, str(funded.address)) == []


class _LostAfterSend(EscrowSettlementExecutor):
    """Sends through the real executor, then reports the send as lost (the node's answer
    never arrived), as after a crash between sending and recording."""

    def settle(self, uow: UnitOfWork, call: BatchCall) -> str:
        super().settle(uow, call)
        raise ExecutorError("connection reset")


def test_run__send_lost__next_run_finds_it_and_sends_nothing(
    captured: tuple[Invoice, Invoice],
    shop: Shop,
    sender: TransactionSender,
    executor: EscrowSettlementExecutor,
    funded: Any,
    treasury: Any,
    escrow_client: Escrow,
) -> None:
    before = funded.balanceOf(treasury)
    with UnitOfWork(shop.engine) as uow:
        request_checked(uow, _for(shop.store.store_id, "a", 10_000), escrow_client)
    (lost,) = _run(shop, _LostAfterSend(sender))
    assert lost.status is SettlementStatus.REQUESTED and lost.error == "connection reset"
    (resent,) = _run(shop, executor)
    assert resent.reference == lost.reference and resent.status is SettlementStatus.SUBMITTED
    assert _settled(escrow_client, str(funded.address)) == [resent.tx_hash]
    assert funded.balanceOf(treasury) == before + 10_000
