"""Naming a store by id, id prefix or name; deactivating stores and terminals."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from coinpos.chainops.keys import LocalKey
from coinpos.db.models import Invoice, Store
from coinpos.invoices.service import Issuer, NewInvoice, issue_invoice
from coinpos.invoices.terms import EscrowDomain
from coinpos.stores.service import (
    InactiveError,
    StoreError,
    UnknownStoreError,
    add_terminal,
    create_store,
    list_terminals,
    resolve_store,
    set_store_active,
    set_terminal_active,
    short_ids,
    short_store_ids,
)
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from tests.offchain.factories import make_coin, make_store

TWINS = ("0x" + "ab12cd34" + "0" * 56, "0x" + "ab12cd34" + "1" * 56)


def _issuer(tmp_path: Path) -> Issuer:
    key = LocalKey("0x" + "42" * 32)
    return Issuer(EscrowDomain(31337, "0x" + "22" * 20), bytes.fromhex("6000"), key, tmp_path)


def _invoices(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(Invoice)) or 0


def test_short_ids__eight_digits__longer_only_where_two_share_them() -> None:
    other = "0x" + "ff" * 32
    short = short_ids([*TWINS, other])
    assert short[other] == "0xffffffff"
    assert short[TWINS[0]] == TWINS[0][:11] and short[TWINS[1]] == TWINS[1][:11]
    assert len(set(short.values())) == 3


@pytest.mark.postgres
def test_resolve_store__whole_id_unique_prefix_or_name(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        cafe = create_store(uow, "Gangnam Cafe", "KRW", store_id=TWINS[0])
        books = create_store(uow, "Busan Books", "KRW", store_id=TWINS[1])
        cafe_id, books_id = cafe.store_id, books.store_id
    with UnitOfWork(engine) as uow:
        assert resolve_store(uow, cafe_id).store_id == cafe_id
        assert resolve_store(uow, cafe_id[:11].upper().replace("0X", "0x")).store_id == cafe_id
        assert resolve_store(uow, "Busan Books").store_id == books_id
        assert resolve_store(uow, "busan books").store_id == books_id
        # Every id as a table prints it selects its store.
        for full, short in short_store_ids(uow).items():
            assert resolve_store(uow, short).store_id == full
        with pytest.raises(StoreError, match="names 2 stores"):
            resolve_store(uow, TWINS[0][:10])
        with pytest.raises(StoreError, match="no store id starts with 0xdead"):
            resolve_store(uow, "0xdead")
        with pytest.raises(StoreError, match="no store named 'Seoul'"):
            resolve_store(uow, "Seoul")
        # Not hex after 0x: a name, not an id.
        with pytest.raises(StoreError, match="no store named '0xford Books'"):
            resolve_store(uow, "0xford Books")
        with pytest.raises(UnknownStoreError):
            resolve_store(uow, "0x" + "99" * 32)


@pytest.mark.parametrize(
    ("ref", "message"),
    [("", "must not be empty"), ("0x12", "too short"), ("0x" + "1" * 65, "more than 64"),
     ("x" * 201, "longer than 200")],
)  # fmt: skip
def test_resolve_store__malformed_reference__is_refused(
    engine: Engine, ref: str, message: str
) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInputError, match=message):
        resolve_store(uow, ref)


def test_resolve_store__two_stores_with_one_name__asks_for_the_id(engine: Engine) -> None:
    make_store(engine, "Corner Shop")
    make_store(engine, "Corner Shop")
    with UnitOfWork(engine) as uow, pytest.raises(StoreError, match="give more of the id"):
        resolve_store(uow, "Corner Shop")


@pytest.mark.postgres
def test_deactivated_store__refuses_new_invoices__keeps_the_old(
    engine: Engine, tmp_path: Path
) -> None:
    store = make_store(engine)
    make_coin(engine)
    issuer = _issuer(tmp_path / "qr")
    request = NewInvoice(store_id=store.store_id, coin="CPW", amount=100)
    with UnitOfWork(engine) as uow:
        issue_invoice(uow, request, issuer)
    with UnitOfWork(engine) as uow:
        assert set_store_active(uow, store.store_id, False).active is False
    with UnitOfWork(engine) as uow, pytest.raises(InactiveError, match="deactivated"):
        issue_invoice(uow, request, issuer)
    assert _invoices(engine) == 1
    assert len(list((tmp_path / "qr").iterdir())) == 2  # the first invoice's PNG and SVG only
    with UnitOfWork(engine) as uow:
        assert uow.session.get(Store, store.store_id) is not None
        with pytest.raises(StoreError, match="already inactive"):
            set_store_active(uow, store.store_id, False)
        set_store_active(uow, store.store_id, True)
    with UnitOfWork(engine) as uow:
        issue_invoice(uow, request, issuer)
    assert _invoices(engine) == 2


def test_deactivated_terminal__refuses_its_invoices__others_go_on(
    engine: Engine, tmp_path: Path
) -> None:
    store = make_store(engine)
    make_coin(engine)
    with UnitOfWork(engine) as uow:
        add_terminal(uow, store.store_id, "POS-1", "Front")
    with UnitOfWork(engine) as uow:
        add_terminal(uow, store.store_id, "POS-2", "Back")
    with UnitOfWork(engine) as uow:
        set_terminal_active(uow, store.store_id, "POS-1", False)
    issuer = _issuer(tmp_path)

    def issue(terminal: str) -> None:
        with UnitOfWork(engine) as uow:
            issue_invoice(
                uow,
                NewInvoice(store_id=store.store_id, coin="CPW", amount=1, terminal=terminal),
                issuer,
            )

    with pytest.raises(InactiveError, match="terminal 'POS-1' is deactivated"):
        issue("POS-1")
    issue("POS-2")
    assert _invoices(engine) == 1
    with UnitOfWork(engine) as uow:
        assert [(t.code, t.active) for t in list_terminals(uow, store.store_id)] == [
            ("POS-1", False),
            ("POS-2", True),
        ]
        with pytest.raises(StoreError, match="no terminal 'POS-9'"):
            set_terminal_active(uow, store.store_id, "POS-9", False)
