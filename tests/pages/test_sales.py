"""The manager's sales page in Chromium: sign-in with a manager key only; the day's sales of a
paid and captured invoice (anvil and the tracker) with their fiat value at sale time and
now; a partial settlement quoted with its locked rate and fee, confirmed, sent on chain and
seen settled in the history; a partial refund of the captured sale within its limit; the
phone layout and axe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from coinpos.chainops.sender import TransactionSender
from coinpos.db.models import Invoice, InvoiceStatus, Settlement, SettlementStatus, StoreBalance
from coinpos.db.types import utcnow
from coinpos.invoices.service import Issuer, NewInvoice, issue_invoice
from coinpos.pages.manager_login import MANAGER_COOKIE, TERMINAL_KEY, WRONG_KEY
from coinpos.rates.service import set_rate
from coinpos.server.app import create_app
from coinpos.server.settings import ServerSettings
from coinpos.tracker.service import Tracker
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import Shop, escrow_client, sender  # noqa: F401
from tests.pages.conftest import (
    PHONE,
    TABLET,
    capture_sale,
    horizontal_overflow,
    make_tracker,
    run_settlements,
    screenshot,
    serious_violations,
    sign_in,
    track_until,
)
from tests.server.conftest import StoreKeys
from tests.server.live import serving

SALE = 4 * 10**15  # 0.004 ETH
MILLI_ETH = 10**15


@pytest.fixture
def sales_server(
    db_url: str,
    shop: Shop,
    issuer: Issuer,
    sender: TransactionSender,  # noqa: F811
) -> Iterator[str]:
    """The server with the operator's sender, so settlements and refunds go on chain."""
    app = create_app(ServerSettings(database_url=db_url, issuer=issuer, sender=sender))
    with serving(app) as url:
        yield url
    app.state.engine.dispose()


def _read(shop: Shop, query: Any) -> Any:
    with UnitOfWork(shop.engine) as uow:
        return uow.session.scalars(query).one_or_none()


@dataclass
class Sold:
    invoice: Invoice
    tracker: Tracker


@pytest.fixture
def sold(
    keys: StoreKeys,
    shop: Shop,
    issuer: Issuer,
    chain: Any,
    escrow: Any,
    customer: Any,
    sender: TransactionSender,  # noqa: F811
) -> Sold:
    """A 0.004 ETH sale paid at its deposit address, settled by the tracker, swept and
    captured without fee, the capture confirmed; then ETH rises from 4.5 to 5 million KRW."""
    # The rate the sale is valued at: observed before the invoice (made to the second).
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "ETH", "KRW", Decimal("4500000"), utcnow() - timedelta(minutes=1))
    with UnitOfWork(shop.engine) as uow:
        invoice = issue_invoice(uow, NewInvoice(shop.store.store_id, "ETH", amount=SALE), issuer)
        uow.session.expunge(invoice)
    tracker = make_tracker(shop.engine, chain, escrow, chain.blocks.height)
    customer.transfer(invoice.deposit_address, SALE)
    track_until(
        tracker,
        chain,
        lambda: _read(shop, select(Invoice.status)) is InvoiceStatus.SETTLED,
        "the payment",
    )
    capture_sale(shop.engine, sender, tracker, chain, invoice)
    assert _read(shop, select(StoreBalance.captured)) == SALE
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "ETH", "KRW", Decimal("5000000"))
    return Sold(invoice, tracker)


def _manager_cookies(page: Page) -> list[dict[str, Any]]:
    return [dict(c) for c in page.context.cookies() if c["name"] == MANAGER_COOKIE]


def test_a_captured_sale_is_reported_settled_in_part_and_refunded_in_part(
    page: Page,
    sales_server: str,
    keys: StoreKeys,
    shop: Shop,
    sold: Sold,
    chain: Any,
    customer: Any,
    sender: TransactionSender,  # noqa: F811
) -> None:
    sign_in(page, sales_server, keys.manager)
    eth = page.locator("#per-coin tr[data-coin='ETH']")
    # 0.004 ETH at 4 500 000 KRW when sold, at 5 000 000 KRW now.
    expect(eth.locator(".sales-count")).to_have_text("1")
    expect(eth.locator(".coin-total")).to_have_text("0.004 ETH")
    expect(eth.locator(".at-sale")).to_have_text("18000")
    expect(eth.locator(".now")).to_have_text("20000")
    expect(eth.locator(".difference")).to_have_text("+2000")
    expect(page.locator("#settle-coin")).to_contain_text("ETH: 0.004 ETH available")
    # The store's log, all confirmed: the transfer seen at the deposit address, the sweep's
    # DepositKept, the capture request and its PaymentCaptured (the sweep request is the
    # exchange's, no store's).
    expect(page.locator("#tx-counts")).to_contain_text("0 pending, 4 valid, 0 failed, 0 expired")
    screenshot(page, "sales-status")

    # Another period: the day before has no sale; a range from it to today has this one.
    today = datetime.now(UTC).date()
    yesterday = (today - timedelta(days=1)).isoformat()
    page.get_by_label("From", exact=True).fill(yesterday)
    page.get_by_label("To", exact=True).fill(yesterday)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=f"Sales on {yesterday}")).to_be_visible()
    expect(page.locator("#no-sales")).to_be_visible()
    page.get_by_label("To", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=f"Sales on {yesterday} to {today}")).to_be_visible()
    expect(eth.locator(".coin-total")).to_have_text("0.004 ETH")

    # A partial settlement: quoted with the rate it locks and the fee (1 %), then confirmed.
    page.get_by_label("Part:").check()
    page.get_by_label("Amount to settle, in whole coins").fill("0.001")
    page.get_by_role("button", name="Review the rate and fee").click()
    expect(page.locator("#quote-amount")).to_have_text("0.001 ETH of 0.004 ETH")
    expect(page.locator("#quote-rate")).to_have_text("5000000 KRW per ETH")
    expect(page.locator("#quote-gross")).to_have_text("5000 KRW")
    expect(page.locator("#quote-fee")).to_have_text("50 KRW")
    expect(page.locator("#quote-net")).to_have_text("4950 KRW")
    assert _read(shop, select(Settlement.id)) is None  # nothing requested before confirming
    screenshot(page, "sales-confirm")
    page.get_by_role("button", name="Confirm the settlement").click()
    # Requested at the locked rate; a server with a node may have sent it already.
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"^Settlement of 0\.001 ETH: (requested|submitted)\.$")
    )
    with UnitOfWork(shop.engine) as uow:
        [settlement] = uow.session.scalars(select(Settlement)).all()
        assert settlement.amount == MILLI_ETH and settlement.rate == Decimal("5000000")
        reference = settlement.reference
    row = page.locator(f"#history tr[data-reference='{reference}']")
    expect(row.locator(".settlement-status .badge")).to_have_text(
        re.compile("^(requested|submitted)$")
    )
    expect(row.locator(".payout-status")).to_have_text("pending")
    expect(page.locator("#settle-coin")).to_contain_text("ETH: 0.003 ETH available")

    run_settlements(shop.engine, sender)
    track_until(
        sold.tracker,
        chain,
        lambda: _read(shop, select(Settlement.status)) is SettlementStatus.SETTLED,
        "the settlement",
    )
    with UnitOfWork(shop.engine) as uow:
        tx_hash = uow.session.scalars(select(Settlement)).one().log_entry.tx_hash
    assert tx_hash is not None
    page.reload()
    expect(row.locator(".settlement-status .badge")).to_have_text("settled")
    expect(row).to_contain_text("4950 KRW")
    expect(row.locator(".hash")).to_have_text(tx_hash)
    screenshot(page, "sales-settled")

    # A refund of part of the captured sale, within its limit.
    before = customer.balance
    page.locator(f"#sales-list tr[data-invoice='{sold.invoice.invoice_hash}']").get_by_role(
        "link"
    ).click()
    expect(page.locator("#escrow-state")).to_have_text("captured")
    expect(page.locator("#refund-left")).to_have_text("0.004 ETH")
    page.get_by_label("Part:").check()
    page.get_by_label("Amount to refund, in whole ETH").fill("0.01")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_role("alert")).to_contain_text("only 4000000000000000 are captured")
    assert customer.balance == before

    page.get_by_label("Part:").check()
    page.get_by_label("Amount to refund, in whole ETH").fill("0.001")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_role("status")).to_contain_text("Refund of 0.001 ETH")
    expect(page.locator("#refund-left")).to_have_text("0.003 ETH")
    assert customer.balance == before + MILLI_ETH
    screenshot(page, "sales-refund")


def test_a_settlement_is_confirmed_at_the_rate_shown_once_and_only_with_the_csrf_token(
    page: Page, sales_server: str, keys: StoreKeys, shop: Shop, sold: Sold
) -> None:
    sign_in(page, sales_server, keys.manager)
    page.get_by_role("button", name="Review the rate and fee").click()
    expect(page.locator("#quote-rate")).to_have_text("5000000 KRW per ETH")
    # The rate moves while the manager reads the quote: the confirmation shows the new
    # figures and requests nothing.
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "ETH", "KRW", Decimal("4000000"))
    page.get_by_role("button", name="Confirm the settlement").click()
    expect(page.get_by_role("alert")).to_contain_text("The rate changed since the quote")
    expect(page.locator("#quote-rate")).to_have_text("4000000 KRW per ETH")
    expect(page.locator("#quote-net")).to_have_text("15840 KRW")  # 16000 less 1 %
    assert _read(shop, select(Settlement.id)) is None

    # A post without the form's token is refused, whatever it carries.
    fields: dict[str, str] = page.eval_on_selector_all(
        "form[action='/pos/sales/settlements'] input",
        "all => Object.fromEntries(all.map(i => [i.name, i.value]))",
    )
    # "All" is confirmed as the amount quoted, never as whatever the balance is by then.
    assert (fields["part"], fields["amount"]) == ("part", "0.004")
    forged = page.request.post(
        f"{sales_server}/pos/sales/settlements", form={**fields, "csrf": "x" * 43}
    )
    assert forged.status == 403 and _read(shop, select(Settlement.id)) is None

    page.get_by_role("button", name="Confirm the settlement").click()
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"^Settlement of 0\.004 ETH: (requested|submitted)\.$")
    )
    with UnitOfWork(shop.engine) as uow:
        [settlement] = uow.session.scalars(select(Settlement)).all()
        assert settlement.amount == SALE and settlement.rate == Decimal("4000000")
    # The same confirmation sent twice (a double click, a resent form) settles once.
    again = page.request.post(f"{sales_server}/pos/sales/settlements", form=fields)
    assert again.status == 409
    assert "This settlement was already requested once" in again.text()
    with UnitOfWork(shop.engine) as uow:
        assert len(uow.session.scalars(select(Settlement)).all()) == 1


def test_the_sales_pages_fit_a_phone_and_have_no_serious_accessibility_violation(
    browser: Browser, sales_server: str, keys: StoreKeys, sold: Sold
) -> None:
    settled = 0
    for viewport, name, left in ((PHONE, "phone", "0.004 ETH"), (TABLET, "tablet", "0.0039 ETH")):
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        try:
            page = context.new_page()
            page.goto(f"{sales_server}/pos/sales")
            assert horizontal_overflow(page) == 0, f"sign-in, {name}"
            assert serious_violations(page) == [], f"sign-in, {name}"
            sign_in(page, sales_server, keys.manager)
            expect(page.locator("#per-coin")).to_be_visible()
            assert horizontal_overflow(page) == 0, f"sales, {name}"
            assert serious_violations(page) == [], f"sales, {name}"
            page.get_by_label("Part:").check()
            page.get_by_label("Amount to settle, in whole coins").fill("0.001")
            page.get_by_role("button", name="Review the rate and fee").click()
            expect(page.locator("#quote-net")).to_have_text("4950 KRW")
            assert horizontal_overflow(page) == 0, f"confirm, {name}"
            assert serious_violations(page) == [], f"confirm, {name}"
            page.get_by_role("button", name="Confirm the settlement").click()
            expect(page.locator("#history tbody tr")).to_have_count(settled + 1)
            settled += 1
            assert horizontal_overflow(page) == 0, f"history, {name}"
            assert serious_violations(page) == [], f"history, {name}"
            if name == "phone":
                screenshot(page, "sales-phone")
            page.goto(f"{sales_server}/pos/sales/refunds/{sold.invoice.invoice_hash}")
            expect(page.locator("#refund-left")).to_have_text(left)
            assert horizontal_overflow(page) == 0, f"refund, {name}"
            assert serious_violations(page) == [], f"refund, {name}"
            page.get_by_label("Part:").check()
            page.get_by_label("Amount to refund, in whole ETH").fill("0.0001")
            page.get_by_role("button", name="Refund").click()
            expect(page.get_by_role("status")).to_contain_text("Refund of 0.0001 ETH")
            assert horizontal_overflow(page) == 0, f"refunded, {name}"
            assert serious_violations(page) == [], f"refunded, {name}"
        finally:
            context.close()


def test_every_sales_route_needs_a_manager_key_in_its_cookie(
    pos_server: str, keys: StoreKeys
) -> None:
    refund = "/pos/sales/refunds/0x" + "ab" * 32
    posts = ("/pos/sales/settlements/quote", "/pos/sales/settlements", refund)
    for cookie in (None, keys.terminal, keys.manager[:-4] + "0000"):
        with httpx.Client(base_url=pos_server, timeout=30) as client:
            first = client.get("/pos/sales")
            assert first.status_code == 200 and "Manager key" in first.text
            token = client.cookies["coinpos_csrf"]
            if cookie is not None:
                client.cookies.set(MANAGER_COOKIE, cookie, path="/pos/sales")
            page = client.get("/pos/sales")
            assert "Manager key" in page.text and "Request a settlement" not in page.text
            assert client.get(refund).status_code == 401
            for path in posts:
                answer = client.post(path, data={"csrf": token, "coin": "ETH", "part": "all"})
                assert answer.status_code == 401, (path, cookie)
                assert "Sign in with the manager key to continue." in answer.text
    # The control: the manager's key in the cookie opens them.
    with httpx.Client(base_url=pos_server, timeout=30) as client:
        client.get("/pos/sales")
        client.cookies.set(MANAGER_COOKIE, keys.manager, path="/pos/sales")
        assert "Request a settlement" in client.get("/pos/sales").text
        assert client.get(refund).status_code == 404


# Last in the module: the tests above set up the session's accounts (`customer`), which
# would otherwise restart the module's browser between tests.
def test_the_sales_page_takes_a_manager_key_and_refuses_a_wrong_or_terminal_key(
    page: Page, pos_server: str, keys: StoreKeys
) -> None:
    wrong = keys.manager[:-4] + ("0000" if not keys.manager.endswith("0000") else "1111")
    sign_in(page, pos_server, wrong)
    expect(page.get_by_role("alert")).to_have_text(WRONG_KEY)
    assert _manager_cookies(page) == []

    sign_in(page, pos_server, keys.terminal)
    expect(page.get_by_role("alert")).to_have_text(TERMINAL_KEY)
    expect(page.get_by_role("heading", name="Store sales: sign in")).to_be_visible()
    assert _manager_cookies(page) == []

    # A post without the form's CSRF token is refused before the key is read.
    forged = page.request.post(f"{pos_server}/pos/sales/login", form={"key": keys.manager})
    assert forged.status == 403 and _manager_cookies(page) == []

    # The control: the manager key signs in, and is kept in an HttpOnly cookie only.
    sign_in(page, pos_server, keys.manager)
    today = datetime.now(UTC).date().isoformat()
    expect(page.get_by_role("heading", name=f"Sales on {today}")).to_be_visible()
    assert keys.manager not in page.content() and keys.manager not in page.url
    [cookie] = _manager_cookies(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/pos/sales"
    screenshot(page, "sales-empty")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Store sales: sign in")).to_be_visible()
    assert _manager_cookies(page) == []
