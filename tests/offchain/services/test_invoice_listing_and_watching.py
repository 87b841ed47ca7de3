"""Listing invoices by store, terminal, status and age; following one until it is final."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from coinpos.chainops.keys import LocalKey
from coinpos.db.models import Invoice, InvoiceExceptionStatus, InvoiceStatus, Store
from coinpos.invoices.listing import InvoiceQuery, list_invoices
from coinpos.invoices.service import Issuer, NewInvoice, UnknownInvoiceError, issue_invoice
from coinpos.invoices.terms import EscrowDomain
from coinpos.invoices.watching import InvoiceState, WatchTimeoutError, follow_invoice
from coinpos.stores.service import StoreError, add_terminal
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from tests.offchain.factories import make_coin, make_store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def stores(engine: Engine) -> tuple[Store, Store]:
    cafe, books = make_store(engine), make_store(engine, "Busan Books")
    make_coin(engine)
    for store in (cafe, books):
        with UnitOfWork(engine) as uow:
            add_terminal(uow, store.store_id, "POS-1", "Front")
    return cafe, books


def _issue(
    engine: Engine, store: Store, tmp_path: Path, at: datetime, terminal: str | None = None
) -> int:
    issuer = Issuer(
        EscrowDomain(31337, "0x" + "22" * 20),
        bytes.fromhex("6000"),
        LocalKey("0x" + "42" * 32),
        tmp_path,
    )
    with UnitOfWork(engine) as uow:
        request = NewInvoice(store_id=store.store_id, coin="CPW", amount=1250, terminal=terminal)
        return issue_invoice(uow, request, issuer, now=at).id


def _set(engine: Engine, invoice_id: int, status: InvoiceStatus, paid: int = 0) -> None:
    with UnitOfWork(engine) as uow:
        invoice = uow.session.get(Invoice, invoice_id)
        assert invoice is not None
        invoice.status, invoice.amount_paid = status, paid
        partial = 0 < paid < invoice.amount
        invoice.exception_status = InvoiceExceptionStatus.PAID_PARTIAL if partial else None
        uow.commit()


def _ids(engine: Engine, **query: object) -> list[int]:
    with UnitOfWork(engine) as uow:
        return [row.invoice.id for row in list_invoices(uow, InvoiceQuery(**query))]  # type: ignore[arg-type]


@pytest.mark.postgres
def test_list_invoices__each_filter_and_all_together__newest_first(
    engine: Engine, stores: tuple[Store, Store], tmp_path: Path
) -> None:
    cafe, books = stores
    old = _issue(engine, cafe, tmp_path, NOW - timedelta(days=3), "POS-1")
    counter = _issue(engine, cafe, tmp_path, NOW - timedelta(hours=1))
    till = _issue(engine, cafe, tmp_path, NOW, "POS-1")
    other = _issue(engine, books, tmp_path, NOW, "POS-1")
    _set(engine, till, InvoiceStatus.PROCESSING, 500)
    _set(engine, old, InvoiceStatus.PROCESSING)

    assert _ids(engine) == [other, till, counter, old]
    assert _ids(engine, store_id=cafe.store_id) == [till, counter, old]
    assert _ids(engine, store_id=cafe.store_id, terminal="POS-1") == [till, old]
    assert _ids(engine, status=InvoiceStatus.PROCESSING) == [till, old]
    assert _ids(engine, since=NOW - timedelta(days=1)) == [other, till, counter]
    assert _ids(
        engine,
        store_id=cafe.store_id,
        terminal="POS-1",
        status=InvoiceStatus.PROCESSING,
        since=NOW - timedelta(days=1),
    ) == [till]
    assert _ids(engine, limit=2) == [other, till]
    with UnitOfWork(engine) as uow:
        (row,) = list_invoices(uow, InvoiceQuery(store_id=books.store_id))
        assert (row.store_name, row.terminal_code, row.coin.symbol) == (
            "Busan Books",
            "POS-1",
            "CPW",
        )


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        (InvoiceQuery(terminal="POS-1"), InvalidInputError, "needs its store"),
        (InvoiceQuery(limit=0), InvalidInputError, "must be positive"),
        (InvoiceQuery(since=datetime(2026, 1, 1)), InvalidInputError, "time zone"),
        (InvoiceQuery(store_id="0x" + "00" * 32), StoreError, "no store"),
    ],
)
def test_list_invoices__bad_query__is_refused(
    engine: Engine, query: InvoiceQuery, error: type[Exception], message: str
) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(error, match=message):
        list_invoices(uow, query)


def test_list_invoices__unknown_terminal_of_the_store__is_refused(
    engine: Engine, stores: tuple[Store, Store]
) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(StoreError, match="no terminal 'POS-9'"):
        list_invoices(uow, InvoiceQuery(store_id=stores[0].store_id, terminal="POS-9"))


def _follower(
    engine: Engine, steps: list[Callable[[], None]]
) -> tuple[Callable[[float], None], list[float]]:
    """A `sleep` that, instead of waiting, commits the next change from another session."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if steps:
            steps.pop(0)()

    return sleep, slept


@pytest.mark.postgres
def test_follow_invoice__prints_each_change_once__stops_at_settled(
    engine: Engine, stores: tuple[Store, Store], tmp_path: Path
) -> None:
    invoice = _issue(engine, stores[0], tmp_path, NOW)
    sleep, slept = _follower(
        engine,
        [
            lambda: None,  # nothing new: no line
            lambda: _set(engine, invoice, InvoiceStatus.PROCESSING, 500),
            lambda: _set(engine, invoice, InvoiceStatus.PROCESSING, 1250),
            lambda: None,
            lambda: _set(engine, invoice, InvoiceStatus.SETTLED, 1250),
        ],
    )
    with UnitOfWork(engine) as uow:
        seen = list(follow_invoice(uow, str(invoice), 0.5, 60, sleep=sleep))
    assert seen == [
        InvoiceState(InvoiceStatus.NEW, None, 0),
        InvoiceState(InvoiceStatus.PROCESSING, InvoiceExceptionStatus.PAID_PARTIAL, 500),
        InvoiceState(InvoiceStatus.PROCESSING, None, 1250),
        InvoiceState(InvoiceStatus.SETTLED, None, 1250),
    ]
    assert slept == [0.5] * 5


def test_follow_invoice__final_already__one_state_no_wait(
    engine: Engine, stores: tuple[Store, Store], tmp_path: Path
) -> None:
    invoice = _issue(engine, stores[0], tmp_path, NOW)
    _set(engine, invoice, InvoiceStatus.EXPIRED)
    sleep, slept = _follower(engine, [])
    with UnitOfWork(engine) as uow:
        assert [s.status for s in follow_invoice(uow, str(invoice), 1, 60, sleep=sleep)] == [
            InvoiceStatus.EXPIRED
        ]
    assert slept == []


def test_follow_invoice__not_final_in_time__times_out(
    engine: Engine, stores: tuple[Store, Store], tmp_path: Path
) -> None:
    invoice = _issue(engine, stores[0], tmp_path, NOW)
    clock = iter([0.0, 0.0, 4.0, 8.0, 10.0])
    sleep, slept = _follower(engine, [])
    with UnitOfWork(engine) as uow:
        follow = follow_invoice(uow, str(invoice), 4, 10, sleep=sleep, clock=lambda: next(clock))
        assert next(follow).status is InvoiceStatus.NEW
        with pytest.raises(WatchTimeoutError, match="still New after 10 s"):
            next(follow)
    assert slept == [4, 4, 2]  # the last wait is cut to the time left


@pytest.mark.parametrize(
    ("ref", "interval", "timeout", "error"),
    [("999", 1, 1, UnknownInvoiceError), ("1", 0, 1, InvalidInputError),
     ("1", 1, -1, InvalidInputError), ("abc", 1, 1, InvalidInputError)],
)  # fmt: skip
def test_follow_invoice__bad_request__is_refused(
    engine: Engine, ref: str, interval: float, timeout: float, error: type[Exception]
) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(error):
        next(follow_invoice(uow, ref, interval, timeout))
