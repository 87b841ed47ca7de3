"""The sales report: fiat at sale time and now, sold totals, request counts, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from coinpos.chainops.keys import LocalKey
from coinpos.db.models import Invoice, InvoiceStatus, Store, TxKind, TxStatus
from coinpos.invoices.service import Issuer, NewInvoice, issue_invoice
from coinpos.invoices.terms import EscrowDomain
from coinpos.ledger import log_request
from coinpos.rates.service import set_rate
from coinpos.reports.service import sales_report, write_csv
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from tests.offchain.factories import make_coin, make_store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KEY = "0x" + "42" * 32


@pytest.fixture
def store(engine: Engine) -> Store:
    store = make_store(engine, fiat="USD")
    make_coin(engine, "CPW", 2)
    return store


def _sell(engine: Engine, store: Store, amount: int, at: datetime, tmp_path: Path) -> str:
    issuer = Issuer(
        EscrowDomain(31337, "0x" + "22" * 20), bytes.fromhex("6000"), LocalKey(KEY), tmp_path
    )
    with UnitOfWork(engine) as uow:
        invoice = issue_invoice(
            uow, NewInvoice(store_id=store.store_id, coin="CPW", amount=amount), issuer, now=at
        )
        return invoice.invoice_hash


def _status(engine: Engine, invoice_hash: str, status: InvoiceStatus) -> None:
    with UnitOfWork(engine) as uow:
        invoice = uow.session.query(Invoice).filter_by(invoice_hash=invoice_hash).one()
        invoice.status = status
        uow.commit()


@pytest.mark.postgres
def test_sales__valued_at_sale_time_and_now__half_even_to_cents(
    engine: Engine, store: Store, tmp_path: Path
) -> None:
    with UnitOfWork(engine) as uow:
        set_rate(uow, "CPW", "USD", Decimal("0.00075"), NOW - timedelta(days=2), now=NOW)
    with UnitOfWork(engine) as uow:
        set_rate(uow, "CPW", "USD", Decimal("0.0009"), NOW - timedelta(minutes=5), now=NOW)
    sold = _sell(engine, store, 12_345, NOW - timedelta(days=1), tmp_path)  # 123.45 CPW
    expired = _sell(engine, store, 100, NOW - timedelta(hours=2), tmp_path)
    _status(engine, sold, InvoiceStatus.SETTLED)
    _status(engine, expired, InvoiceStatus.EXPIRED)
    with UnitOfWork(engine) as uow:
        for n, status in enumerate([TxStatus.PENDING, TxStatus.FAILED, TxStatus.CANCELLED]):
            entry = log_request(uow.session, f"k{n}", TxKind.CAPTURE, store_id=store.store_id)
            entry.status = status
        uow.commit()

    with UnitOfWork(engine) as uow:
        report = sales_report(uow, store.store_id, now=NOW)
    first, second = report.sales
    # 123.45 × 0.00075 = 0.0925875 → 0.09; × 0.0009 = 0.111105 → 0.11 (half-even).
    assert (first.fiat_at_sale, first.fiat_now) == (Decimal("0.09"), Decimal("0.11"))
    # The second sale (2 h ago) predates the newer rate (observed 5 min ago).
    assert second.rate_at_sale == Decimal("0.00075")
    assert report.total("fiat_at_sale") == Decimal("0.09")  # expired sales are not totalled
    assert report.counts == {"pending": 1, "valid": 0, "failed": 1, "expired": 1}
    summary = report.summary()
    assert (summary["sales"], summary["total_at_sale"]) == (1, Decimal("0.09"))

    out = io.StringIO()
    assert write_csv(report, out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["status"], r["fiat_at_sale"], r["fiat_now"]) for r in rows] == [
        ("Settled", "0.09", "0.11"),
        ("Expired", "0.00", "0.00"),
    ]


def test_sales__no_fresh_rate__now_left_blank(engine: Engine, store: Store, tmp_path: Path) -> None:
    with UnitOfWork(engine) as uow:
        set_rate(uow, "CPW", "USD", Decimal("0.001"), NOW - timedelta(days=3), now=NOW)
    _sell(engine, store, 5_000, NOW - timedelta(days=1), tmp_path)
    with UnitOfWork(engine) as uow:
        [sale] = sales_report(uow, store.store_id, now=NOW).sales
    assert (sale.fiat_at_sale, sale.rate_now, sale.fiat_now) == (Decimal("0.05"), None, None)


def test_sales__date_range__only_those_days(engine: Engine, store: Store, tmp_path: Path) -> None:
    _sell(engine, store, 1, datetime(2026, 11, 20, 23, 59, tzinfo=UTC), tmp_path)
    _sell(engine, store, 2, datetime(2026, 11, 21, 0, 0, tzinfo=UTC), tmp_path)
    _sell(engine, store, 3, datetime(2026, 11, 22, 23, 59, tzinfo=UTC), tmp_path)
    with UnitOfWork(engine) as uow:
        report = sales_report(uow, store.store_id, date(2026, 11, 21), date(2026, 11, 21), NOW)
        assert [s.amount for s in report.sales] == [Decimal("0.02")]
        with pytest.raises(InvalidInputError):
            sales_report(uow, store.store_id, date(2026, 11, 22), date(2026, 11, 21), NOW)


def test_summary__counts_only_the_sales_its_totals_add_up(
    engine: Engine, store: Store, tmp_path: Path
) -> None:
    with UnitOfWork(engine) as uow:
        set_rate(uow, "CPW", "USD", Decimal("2"), NOW - timedelta(days=2), now=NOW)
    paid = _sell(engine, store, 1_000, NOW - timedelta(days=1), tmp_path)  # 10 CPW
    processing = _sell(engine, store, 500, NOW - timedelta(hours=3), tmp_path)  # 5 CPW
    _sell(engine, store, 700, NOW - timedelta(hours=2), tmp_path)  # never paid: New
    expired = _sell(engine, store, 900, NOW - timedelta(hours=1), tmp_path)
    _status(engine, paid, InvoiceStatus.SETTLED)
    _status(engine, processing, InvoiceStatus.PROCESSING)
    _status(engine, expired, InvoiceStatus.EXPIRED)

    with UnitOfWork(engine) as uow:
        summary = sales_report(uow, store.store_id, now=NOW).summary()

    assert summary["total_at_sale"] == Decimal("30.00")  # (10 + 5) CPW × 2 USD
    assert summary["sales"] == 2
    assert summary["unsold_invoices"] == 2
