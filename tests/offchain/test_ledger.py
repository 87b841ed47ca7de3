from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from coinpos.db.models import StoreBalance, TxKind, TxStatus, ValidTransaction
from coinpos.ledger import (
    DuplicateRequestError,
    LedgerError,
    captured_total,
    confirm,
    log_request,
    unconfirm,
)
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.factories import make_coin, make_store

CHAIN = 31337


def _where(n: int) -> dict[str, object]:
    return {
        "chain_id": CHAIN,
        "tx_hash": f"0x{n:064x}",
        "log_index": 0,
        "block_number": n,
        "block_hash": f"0x{n + 99:064x}",
    }


@pytest.mark.postgres
def test_confirm_capture__credits_the_store_balance_from_valid_transactions(engine: Engine) -> None:
    store, coin = make_store(engine), make_coin(engine)
    with UnitOfWork(engine) as uow:
        for n, amount in enumerate([2**70, 5], start=1):
            entry = log_request(
                uow.session, f"c{n}", TxKind.CAPTURE, store_id=store.store_id, coin_id=coin.id,
                amount=amount,
            )  # fmt: skip
            confirm(uow.session, entry, **_where(n))  # type: ignore[arg-type]
        uow.commit()
    with UnitOfWork(engine) as uow:
        balance = uow.session.scalars(select(StoreBalance)).one()
        assert balance.captured == 2**70 + 5
        assert captured_total(uow.session, store.store_id, coin.id) == balance.captured
        assert len(uow.session.scalars(select(ValidTransaction)).all()) == 2


@pytest.mark.postgres
def test_confirm_refund__takes_it_back_out_of_the_store_balance(engine: Engine) -> None:
    store, coin = make_store(engine), make_coin(engine)
    with UnitOfWork(engine) as uow:
        entries = {}
        for n, (kind, amount) in enumerate([(TxKind.CAPTURE, 99), (TxKind.REFUND, 40)], 1):
            entries[kind] = log_request(
                uow.session, f"e{n}", kind, store_id=store.store_id, coin_id=coin.id,
                amount=amount,
            )  # fmt: skip
            confirm(uow.session, entries[kind], **_where(n))  # type: ignore[arg-type]
        uow.commit()
        balance = uow.session.scalars(select(StoreBalance)).one()
        assert balance.captured == 59
        assert captured_total(uow.session, store.store_id, coin.id) == 59

        # A reorg that removes the refund gives the store its credit back.
        assert unconfirm(uow.session, entries[TxKind.REFUND]) == -40
        uow.commit()
        assert uow.session.scalars(select(StoreBalance)).one().captured == 99
        assert captured_total(uow.session, store.store_id, coin.id) == 99


def test_log_request__same_key_twice__is_refused(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        log_request(uow.session, "k", TxKind.SWEEP)
        uow.commit()
        with pytest.raises(DuplicateRequestError, match="'k'"):
            log_request(uow.session, "k", TxKind.SWEEP)


def test_confirm__an_entry_already_confirmed__is_refused(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        entry = log_request(uow.session, "k", TxKind.PAYMENT, amount=1)
        confirm(uow.session, entry, **_where(1))  # type: ignore[arg-type]
        assert entry.status is TxStatus.CONFIRMED
        with pytest.raises(LedgerError, match="confirmed, not pending"):
            confirm(uow.session, entry, **_where(2))  # type: ignore[arg-type]


@pytest.mark.postgres
def test_same_chain_event_twice__is_refused_by_the_database(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        first = log_request(uow.session, "a", TxKind.PAYMENT, amount=1)
        second = log_request(uow.session, "b", TxKind.PAYMENT, amount=1)
        confirm(uow.session, first, **_where(7))  # type: ignore[arg-type]
        confirm(uow.session, second, **_where(7))  # type: ignore[arg-type]
        with pytest.raises(IntegrityError):
            uow.commit()
