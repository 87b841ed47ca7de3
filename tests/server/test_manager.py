"""Manager routes over real HTTP: the sales report, settlement requests with the rate locked,
refunds sent to the escrow on anvil; a terminal key is refused them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from coinpos.chainops import operations
from coinpos.chainops.sender import TransactionSender
from coinpos.db.models import Invoice, InvoiceStatus
from coinpos.db.types import utcnow
from coinpos.invoices.service import Issuer, NewInvoice, issue_invoice, terms_of
from coinpos.rates.service import set_rate
from coinpos.server.app import create_app
from coinpos.server.settings import ServerSettings
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import Shop, escrow_client, sender, track  # noqa: F401
from tests.contracts.escrow.conftest import funded  # noqa: F401
from tests.offchain.factories import confirmed_capture
from tests.server.conftest import StoreKeys, bearer, store_with_keys
from tests.server.live import serving


@pytest.fixture
def keys(shop: Shop) -> StoreKeys:
    return store_with_keys(shop.engine, store=shop.store)


@pytest.fixture
def manager_server(
    db_url: str,
    shop: Shop,
    issuer: Issuer,
    sender: TransactionSender,  # noqa: F811
) -> Iterator[httpx.Client]:
    app = create_app(ServerSettings(database_url=db_url, issuer=issuer, sender=sender))
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client
    app.state.engine.dispose()


def _issue(shop: Shop, issuer: Issuer, chain: Any, amount: int = 12_345) -> Invoice:
    from datetime import UTC, datetime

    now = datetime.fromtimestamp(chain.pending_timestamp, UTC)
    with UnitOfWork(shop.engine) as uow:
        return issue_invoice(
            uow, NewInvoice(shop.store.store_id, "CPW", amount=amount), issuer, now=now
        )


def _captured(shop: Shop, amount: int) -> None:
    """A confirmed capture in the ledger, as the tracker records it."""
    confirmed_capture(shop.engine, shop.store.store_id, shop.cpw.id, amount)


def test_the_sales_report_totals_each_coin_at_sale_time_and_now(
    pos: httpx.Client, keys: StoreKeys, shop: Shop, issuer: Issuer, chain: Any
) -> None:
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "CPW", "KRW", Decimal("1000"), utcnow() - timedelta(minutes=30))
    first = _issue(shop, issuer, chain)
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "CPW", "KRW", Decimal("1100"))
    _issue(shop, issuer, chain, amount=100)  # never paid: not a sale
    with UnitOfWork(shop.engine) as uow:
        uow.session.execute(
            update(Invoice).where(Invoice.id == first.id).values(status=InvoiceStatus.SETTLED)
        )
        uow.commit()
    url = f"/api/v1/stores/{keys.store.store_id}/reports/sales"
    report = pos.get(url, headers=bearer(keys.manager))
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["per_coin"] == [
        {
            "coin": "CPW",
            "sales": 1,
            "amount": "123.45",
            "fiat_at_sale": "123450",
            "fiat_now": "135795",
        }
    ]
    assert len(body["sales"]) == 2
    assert pos.get(url, headers=bearer(keys.terminal)).status_code == 403


@pytest.mark.postgres
def test_a_settlement_request_locks_the_rate_and_can_be_followed(
    pos: httpx.Client, keys: StoreKeys, shop: Shop
) -> None:
    _captured(shop, 10_000)
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "CPW", "KRW", Decimal("1000"))
    url = f"/api/v1/stores/{keys.store.store_id}/settlements"
    partial = pos.post(url, json={"coin": "CPW", "amount": "40"}, headers=bearer(keys.manager))
    assert partial.status_code == 201, partial.text
    body = partial.json()
    assert body["settled"]["base_units"] == "4000" and body["rate"] == "1000"
    assert body["status"] == "requested" and body["gross"] == "40000"
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "CPW", "KRW", Decimal("2000"))
    followed = pos.get(f"{url}/{body['id']}", headers=bearer(keys.manager)).json()
    assert followed["rate"] == "1000"  # locked at request time
    rest = pos.post(url, json={"coin": "CPW"}, headers=bearer(keys.manager)).json()
    assert rest["settled"]["base_units"] == "6000" and rest["rate"] == "2000"
    over = pos.post(url, json={"coin": "CPW", "amount": "1"}, headers=bearer(keys.manager))
    assert over.status_code == 409 and over.headers["content-type"] == "application/problem+json"
    terminal = pos.post(url, json={"coin": "CPW"}, headers=bearer(keys.terminal))
    assert terminal.status_code == 403


def test_refunds_in_part_then_in_full_reach_the_escrow(
    manager_server: httpx.Client,
    keys: StoreKeys,
    shop: Shop,
    issuer: Issuer,
    chain: Any,
    escrow: Any,
    funded: Any,  # noqa: F811
    customer: Any,
    sender: TransactionSender,  # noqa: F811
    track: Any,  # noqa: F811
) -> None:
    invoice = _issue(shop, issuer, chain)
    escrow.pay(terms_of(invoice, shop.cpw).abi(), invoice.operator_signature, sender=customer)
    with UnitOfWork(shop.engine) as uow:
        operations.capture(uow, sender, invoice.invoice_hash)
    # A refund comes out of the store's confirmed balance: the tracker confirms the capture.
    track()
    chain.mine(2)
    track()
    before = funded.balanceOf(customer)
    url = f"/api/v1/stores/{keys.store.store_id}/invoices/{invoice.invoice_hash}/refunds"
    part = manager_server.post(url, json={"amount": "23.45"}, headers=bearer(keys.manager))
    assert part.status_code == 201, part.text
    assert part.json()["amount"] == "2345" and part.json()["status"] in ("pending", "confirmed")
    rest = manager_server.post(url, json={}, headers=bearer(keys.manager))
    assert rest.status_code == 201 and rest.json()["amount"] == "10000"
    assert escrow.pool(shop.cpw.address).captured == 0
    assert funded.balanceOf(customer) == before + 12_345
    nothing = manager_server.post(url, json={}, headers=bearer(keys.manager))
    assert nothing.status_code == 409
    assert manager_server.post(url, json={}, headers=bearer(keys.terminal)).status_code == 403
