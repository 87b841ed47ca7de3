"""The escrow settlement executor end to end: a captured, confirmed balance settled on chain,
idempotent by reference, refused when the chain does not hold it, and safe when the
database connection is lost between sending and recording."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from coinpos.chainops import operations
from coinpos.chainops.escrow import Escrow
from coinpos.chainops.sender import TransactionSender
from coinpos.chainops.settlement import EscrowSettlementExecutor, settle_store
from coinpos.db.models import Invoice, Settlement, SettlementStatus, StoreBalance, TxKind
from coinpos.invoices.service import terms_of
from coinpos.ledger import confirm, find_entry, log_request
from coinpos.rates.service import set_rate
from coinpos.settlement.executor import ExecutorError
from coinpos.settlement.service import (
    SettlementRequest,
    UnconfirmedBalanceError,
    send_requested,
    settlement_reference,
)
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import CHAIN_ID, Shop


@pytest.fixture
def executor(sender: TransactionSender) -> EscrowSettlementExecutor:
    return EscrowSettlementExecutor(sender)


@pytest.fixture
def captured(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    chain: Any,
) -> Invoice:
    """A paid invoice captured without fee (12345 base units), confirmed as the tracker would."""
    invoice = issue()
    escrow.pay(terms_of(invoice, shop.cpw).abi(), invoice.operator_signature, sender=customer)
    with UnitOfWork(shop.engine) as uow:
        result = operations.capture(uow, sender, invoice.invoice_hash, fee_bps=0)
    receipt = chain.provider.web3.eth.get_transaction_receipt(result.tx_hash)
    with UnitOfWork(shop.engine) as uow:
        entry = find_entry(uow.session, result.key)
        assert entry is not None
        confirm(
            uow.session,
            entry,
            chain_id=CHAIN_ID,
            tx_hash=str(result.tx_hash),
            log_index=int(receipt["logs"][-1]["logIndex"]),
            block_number=int(receipt["blockNumber"]),
            block_hash="0x" + bytes(receipt["blockHash"]).hex(),
        )
        set_rate(uow, "CPW", "KRW", Decimal("1000"))
    return invoice


def _for(shop: Shop, key: str, amount: int | None = None) -> SettlementRequest:
    return SettlementRequest(
        store_id=shop.store.store_id,
        coin="CPW",
        idempotency_key=key,
        amount=amount,
        chain_id=CHAIN_ID,
    )


def _db_available(shop: Shop) -> int:
    with UnitOfWork(shop.engine) as uow:
        balance = uow.session.scalars(select(StoreBalance)).one()
        return balance.available


def _settled_events(escrow_client: Escrow, reference: str) -> list[str]:
    return escrow_client.event_tx_hashes("StoreSettled", None, None, bytes.fromhex(reference[2:]))


@pytest.mark.postgres
def test_settle__logged_sent_and_recorded__balances_equal_the_chains(
    captured: Invoice,
    shop: Shop,
    executor: EscrowSettlementExecutor,
    escrow: Any,
    funded: Any,
    treasury: Any,
    escrow_client: Escrow,
) -> None:
    before = funded.balanceOf(treasury)
    with UnitOfWork(shop.engine) as uow:
        settlement = settle_store(uow, _for(shop, "s-1", 10_000), executor)
        assert settlement.status is SettlementStatus.SUBMITTED
        sent = (settlement.reference, settlement.log_entry.tx_hash)
    assert _settled_events(escrow_client, sent[0]) == [sent[1]]
    assert funded.balanceOf(treasury) == before + 10_000
    assert _db_available(shop) == 2_345 == escrow.storeBalance(shop.store.store_id, funded)


def test_settle__same_reference_twice__one_settlement_on_chain(
    captured: Invoice,
    shop: Shop,
    executor: EscrowSettlementExecutor,
    funded: Any,
    treasury: Any,
    escrow_client: Escrow,
) -> None:
    reference = settlement_reference("twice")
    before = funded.balanceOf(treasury)
    first = executor.settle(shop.store.store_id, str(funded.address), 5_000, reference)
    second = executor.settle(shop.store.store_id, str(funded.address), 5_000, reference)
    assert first == second
    assert _settled_events(escrow_client, reference) == [first]
    assert funded.balanceOf(treasury) == before + 5_000


def test_settle__database_counts_more_than_the_chain_holds__refused_as_unconfirmed(
    captured: Invoice, shop: Shop, executor: EscrowSettlementExecutor, funded: Any
) -> None:
    # A capture the database believes in, which never reached the chain.
    with UnitOfWork(shop.engine) as uow:
        ghost = log_request(
            uow.session,
            "ghost",
            TxKind.CAPTURE,
            store_id=shop.store.store_id,
            coin_id=shop.cpw.id,
            amount=50_000,
        )
        uow.session.flush()
        confirm(
            uow.session,
            ghost,
            chain_id=CHAIN_ID,
            tx_hash="0x" + "ee" * 32,
            log_index=0,
            block_number=1,
            block_hash="0x" + "ff" * 32,
        )
        uow.commit()
    with UnitOfWork(shop.engine) as uow, pytest.raises(UnconfirmedBalanceError) as refused:
        settle_store(uow, _for(shop, "too-much", 60_000), executor)
    assert str(refused.value).startswith("unconfirmed balance: the escrow holds 12345")
    with UnitOfWork(shop.engine) as uow:
        assert uow.session.scalars(select(Settlement)).all() == []
    with pytest.raises(ExecutorError, match="unconfirmed balance"):
        executor.settle(shop.store.store_id, str(funded.address), 60_000, "0x" + "01" * 32)


class _ConnectionLostAfterSend(EscrowSettlementExecutor):
    """Sends through the real executor, then the database connection goes away."""

    def __init__(self, inner: EscrowSettlementExecutor, uow: UnitOfWork, db_url: str) -> None:
        super().__init__(inner.sender)
        self.inner, self.uow, self.db_url = inner, uow, db_url

    def settle(self, store_id: str, token: str | None, amount: int, reference: str) -> str:
        tx_hash = self.inner.settle(store_id, token, amount, reference)
        if self.uow.session.get_bind().dialect.name != "postgresql":
            raise ConnectionResetError("the database went away")
        pid = self.uow.session.connection().exec_driver_sql("select pg_backend_pid()").scalar()
        admin = create_engine(self.db_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        return tx_hash


@pytest.mark.postgres
def test_settle__connection_lost_between_send_and_record__resend_does_not_settle_twice(
    captured: Invoice,
    shop: Shop,
    executor: EscrowSettlementExecutor,
    escrow: Any,
    funded: Any,
    treasury: Any,
    escrow_client: Escrow,
    db_url: str,
) -> None:
    before = funded.balanceOf(treasury)
    with UnitOfWork(shop.engine) as uow, pytest.raises((DBAPIError, ConnectionResetError)):
        settle_store(
            uow, _for(shop, "lost", 10_000), _ConnectionLostAfterSend(executor, uow, db_url)
        )  # type: ignore[arg-type]
    with UnitOfWork(shop.engine) as uow:
        stuck = uow.session.scalars(select(Settlement)).one()
        assert stuck.status is SettlementStatus.REQUESTED
        assert stuck.log_entry.tx_hash is None
        reference = stuck.reference
    with UnitOfWork(shop.engine) as uow:
        resent = send_requested(uow, executor)
        assert [s.status for s in resent] == [SettlementStatus.SUBMITTED]
        recorded = resent[0].log_entry.tx_hash
    assert _settled_events(escrow_client, reference) == [recorded]
    assert funded.balanceOf(treasury) == before + 10_000
    assert _db_available(shop) == 2_345 == escrow.storeBalance(shop.store.store_id, funded)


def test_settle__whole_balance__checked_and_settled_to_zero(
    captured: Invoice,
    shop: Shop,
    executor: EscrowSettlementExecutor,
    escrow: Any,
    funded: Any,
) -> None:
    with UnitOfWork(shop.engine) as uow:
        settlement = settle_store(uow, _for(shop, "all"), executor)
        assert (settlement.amount, settlement.status) == (12_345, SettlementStatus.SUBMITTED)
    assert _db_available(shop) == 0 == escrow.storeBalance(shop.store.store_id, funded)
