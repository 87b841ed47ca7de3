from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from coinpos.catalogue.service import OutOfStockError, add_item, list_items, take_stock
from coinpos.stores.service import (
    StoreError,
    UnknownCoinError,
    UnknownStoreError,
    add_coin,
    add_terminal,
    get_coin,
    get_store,
    list_terminals,
)
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from tests.offchain.factories import make_coin, make_store


def test_create_store__gets_a_random_bytes32_id(engine: Engine) -> None:
    first, second = make_store(engine), make_store(engine, "Busan Bakery")
    assert len(first.store_id) == 66
    assert first.store_id.startswith("0x")
    assert first.store_id != second.store_id


def test_get_store__unknown_or_malformed_id__is_refused(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        with pytest.raises(UnknownStoreError):
            get_store(uow, "0x" + "00" * 32)
        with pytest.raises(InvalidInputError, match="32-byte"):
            get_store(uow, "0x1234")


def test_add_terminal__same_code_twice_in_a_store__is_refused(engine: Engine) -> None:
    store = make_store(engine)
    with UnitOfWork(engine) as uow:
        add_terminal(uow, store.store_id, "POS-1", "Front counter")
        add_terminal(uow, store.store_id, "POS-2", "Terrace")
        with pytest.raises(StoreError, match="already has a terminal"):
            add_terminal(uow, store.store_id, "POS-1", "Again")
        assert [t.code for t in list_terminals(uow, store.store_id)] == ["POS-1", "POS-2"]


def test_get_coin__symbol_on_two_chains__needs_the_chain_id(engine: Engine) -> None:
    make_coin(engine, "ETH", 18, chain_id=1)
    make_coin(engine, "ETH", 18, chain_id=11155111)
    with UnitOfWork(engine) as uow:
        with pytest.raises(UnknownCoinError, match="several chains"):
            get_coin(uow, "ETH")
        assert get_coin(uow, "ETH", 1).chain_id == 1
        with pytest.raises(StoreError, match="already registered"):
            add_coin(uow, "ETH", 1, 18)


@pytest.mark.postgres
def test_take_stock__decrements_and_refuses_to_go_below_zero(engine: Engine) -> None:
    store = make_store(engine)
    make_coin(engine)
    with UnitOfWork(engine) as uow:
        item = add_item(uow, store.store_id, "AMERICANO", "Americano", "CPW", 4_500_00, 3)
    with UnitOfWork(engine) as uow:
        assert take_stock(uow, item.id, 2) == 1
        with pytest.raises(OutOfStockError, match="has 1 in stock, 2 asked"):
            take_stock(uow, item.id, 2)
    with UnitOfWork(engine) as uow:
        assert [i.stock for i in list_items(uow, store.store_id)] == [1]


@pytest.mark.postgres
def test_take_stock__concurrent_sales_of_the_last_items__never_oversell(engine: Engine) -> None:
    store = make_store(engine)
    make_coin(engine)
    with UnitOfWork(engine) as uow:
        item = add_item(uow, store.store_id, "CAKE", "Cake", "CPW", 7_000_00, 5)
    sold: list[int] = []
    refused: list[int] = []
    barrier = threading.Barrier(8)

    def sell() -> None:
        barrier.wait()
        with UnitOfWork(engine) as uow:
            try:
                take_stock(uow, item.id, 1)
                sold.append(1)
            except OutOfStockError:
                refused.append(1)

    threads = [threading.Thread(target=sell) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(sold), len(refused)) == (5, 3)
    with UnitOfWork(engine) as uow:
        assert list_items(uow, store.store_id)[0].stock == 0


def test_add_item__non_positive_price__is_refused(engine: Engine) -> None:
    store = make_store(engine)
    make_coin(engine)
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInputError, match="price"):
        add_item(uow, store.store_id, "FREE", "Free", "CPW", 0, 1)
