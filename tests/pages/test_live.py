"""The live status in Chromium beyond the counter story: an invoice that expires, an
underpayment (the page says what is missing, and the rest approves it), an overpayment
(approved, with the refund to make), and the keypad's custom amount. The POS and the
shopper's checkout follow the event stream: no reload (a window mark survives), no read of
the status JSON, and each view fits 360 px and passes axe. A page without EventSource falls
back to reading the status JSON: the control that the request count can see polling."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import update

from coinpos.db.models import Invoice, InvoiceStatus
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import Shop
from tests.pages.conftest import (
    LATTE_PRICE,
    PHONE,
    Requests,
    add_to_cart,
    charge,
    horizontal_overflow,
    make_tracker,
    mark_window,
    only_invoice,
    pair,
    screenshot,
    serious_violations,
    tx_hash_of,
    window_kept,
)
from tests.server.conftest import StoreKeys

WAIT_MS = 10_000


@pytest.fixture(autouse=True)
def _chain_fixtures_first(chain: Any, escrow: Any, customer: Any) -> None:
    """ape's isolation wants wider-scoped fixtures set up before the module's browser; a
    session fixture first asked for by a later test would make it rebuild the browser."""


@pytest.fixture
def phone(browser: Browser, pos_server: str) -> Iterator[BrowserContext]:
    """A phone's window; the CSP is bypassed only so that the test can inject axe."""
    opened = browser.new_context(viewport=PHONE, bypass_csp=True)
    yield opened
    opened.close()


def _fits_and_passes(page: Page, view: str) -> None:
    assert horizontal_overflow(page) == 0, f"{view}: wider than the phone"
    assert serious_violations(page) == [], f"{view}: axe"


def _settle(shop: Shop, chain: Any, tracker: Any) -> None:
    deadline = time.monotonic() + WAIT_MS / 1000
    while only_invoice(shop.engine).status is not InvoiceStatus.SETTLED:
        assert time.monotonic() < deadline, "the tracker did not settle the invoice"
        chain.mine(1)
        tracker.run_once()


def test_an_unpaid_invoice_expires_live_on_the_pos_and_the_checkout(
    chain: Any, escrow: Any, phone: BrowserContext, pos_server: str, keys: StoreKeys, shop: Shop
) -> None:
    pos = phone.new_page()
    pos.goto(f"{pos_server}/pos")
    assert horizontal_overflow(pos) == 0, "pairing page"
    pair(pos, pos_server, keys.terminal)
    add_to_cart(pos, "Cafe latte")
    _fits_and_passes(pos, "catalogue, keypad and cart")
    start_block = chain.blocks.height
    pos_requests = Requests(pos)
    charge(pos)
    _fits_and_passes(pos, "payment request")
    mark_window(pos)
    link = pos.locator("#checkout-link").get_attribute("href")
    assert link and link.startswith(f"{pos_server}/i/")

    shopper = phone.new_page()
    shopper_requests = Requests(shopper)
    shopper.goto(link)
    expect(shopper.locator("#status")).to_have_text("Waiting for payment")
    mark_window(shopper)
    # The control: a browser without EventSource reads the status JSON instead.
    old = phone.new_page()
    old.add_init_script("delete window.EventSource")
    old_requests = Requests(old)
    old.goto(link)
    expect(old.locator("#status")).to_have_text("Waiting for payment")
    assert old.evaluate("window.coinposTransport") == "poll"

    # A short deadline: the invoice's is moved to the chain's present, a block is mined
    # after it, and the tracker's expiry (judged by the block's time) does the rest.
    invoice = only_invoice(shop.engine)
    chain_now = datetime.fromtimestamp(chain.blocks.head.timestamp, UTC)
    with UnitOfWork(shop.engine) as uow:
        uow.session.execute(
            update(Invoice)
            .where(Invoice.id == invoice.id)
            .values(pay_deadline=chain_now - timedelta(seconds=1))
        )
        uow.commit()
    tracker = make_tracker(shop.engine, chain, escrow, start_block)
    chain.mine(1)
    tracker.run_once()  # scans up to the block after the deadline
    tracker.run_once()  # the expiry, judged by the last block scanned
    assert only_invoice(shop.engine).status is InvoiceStatus.EXPIRED

    for page in (pos, shopper, old):
        expect(page.locator("#status")).to_have_text("Expired", timeout=WAIT_MS)
        expect(page.locator("#status-note")).to_have_text(
            "No payment arrived in time. Start a new sale."
        )
    assert window_kept(pos) and window_kept(shopper), "a page was reloaded"
    base = f"/pos/invoices/{invoice.invoice_hash}"
    assert pos_requests.to(f"{base}/events") == ["eventsource"]
    assert pos_requests.to(base) == []
    token_path = link.removeprefix(pos_server)
    assert shopper_requests.to(f"{token_path}/events") == ["eventsource"]
    assert shopper_requests.to(f"{token_path}/status") == []
    assert len(old_requests.to(f"{token_path}/status")) >= 2
    assert old_requests.to(f"{token_path}/events") == []
    # The countdown follows the invoice's deadline and stops at the final status.
    for page in (pos, shopper, old):
        expect(page.locator("#countdown")).to_have_text("0:00")
    expect(pos.get_by_role("button", name="New sale")).to_be_visible()
    _fits_and_passes(pos, "expired on the POS")
    _fits_and_passes(shopper, "expired on the checkout")
    screenshot(pos, "pos-expired-phone")
    screenshot(shopper, "checkout-expired-phone")


def test_an_underpayment_says_what_is_missing_and_the_rest_approves_it(
    chain: Any,
    escrow: Any,
    customer: Any,
    phone: BrowserContext,
    pos_server: str,
    keys: StoreKeys,
    shop: Shop,
) -> None:
    pos = phone.new_page()
    pair(pos, pos_server, keys.terminal)
    add_to_cart(pos, "Cafe latte")
    start_block = chain.blocks.height
    requests = Requests(pos)
    charge(pos)
    mark_window(pos)
    link = pos.locator("#checkout-link").get_attribute("href")
    assert link
    shopper = phone.new_page()
    shopper.goto(link)
    expect(shopper.locator("#status")).to_have_text("Waiting for payment")

    invoice = only_invoice(shop.engine)
    assert invoice.amount == LATTE_PRICE
    first = customer.transfer(invoice.deposit_address, LATTE_PRICE // 4)
    tracker = make_tracker(shop.engine, chain, escrow, start_block)
    chain.mine(1)
    tracker.run_once()
    for page in (pos, shopper):
        expect(page.locator("#status")).to_have_text("Underpaid", timeout=WAIT_MS)
        expect(page.locator("#status-note")).to_have_text(
            "Received 0.0005 ETH of 0.002 ETH: ask the shopper to send the missing "
            "0.0015 ETH to the same address before the deadline."
        )
    expect(pos.locator("#status")).to_have_attribute("data-tone", "problem")
    _fits_and_passes(pos, "underpaid on the POS")
    _fits_and_passes(shopper, "underpaid on the checkout")
    screenshot(pos, "pos-underpaid-phone")

    rest = customer.transfer(invoice.deposit_address, LATTE_PRICE - LATTE_PRICE // 4)
    tracker.run_once()  # in a block, not yet at depth
    expect(pos.locator("#status")).to_have_text("Processing: confirming the payment")
    expect(pos.locator("#status-note")).to_have_text("")
    _fits_and_passes(pos, "processing on the POS")
    _settle(shop, chain, tracker)
    expect(pos.locator("#receipt-status")).to_have_text("Approved", timeout=WAIT_MS)
    expect(shopper.locator("#status")).to_have_text("Approved", timeout=WAIT_MS)
    assert window_kept(pos), "the POS was reloaded"
    assert requests.to(f"/pos/invoices/{invoice.invoice_hash}") == []
    expect(pos.locator("#receipt-tx")).to_have_text(f"{tx_hash_of(first)} {tx_hash_of(rest)}")
    expect(pos.locator("#receipt-paid")).to_have_text("0.002 ETH")
    _fits_and_passes(pos, "receipt")
    _fits_and_passes(shopper, "approved on the checkout")
    screenshot(pos, "pos-receipt-phone")
    screenshot(shopper, "checkout-approved-phone")


def test_an_overpayment_is_approved_with_the_refund_to_make(
    chain: Any,
    escrow: Any,
    customer: Any,
    phone: BrowserContext,
    pos_server: str,
    keys: StoreKeys,
    shop: Shop,
) -> None:
    page = phone.new_page()
    pair(page, pos_server, keys.terminal)
    add_to_cart(page, "Cafe latte")
    start_block = chain.blocks.height
    charge(page)
    invoice = only_invoice(shop.engine)
    paid = customer.transfer(invoice.deposit_address, LATTE_PRICE * 3 // 2)
    tracker = make_tracker(shop.engine, chain, escrow, start_block)
    tracker.run_once()
    expect(page.locator("#status")).to_have_text("Overpaid", timeout=WAIT_MS)
    expect(page.locator("#status-note")).to_have_text(
        "Received 0.003 ETH for 0.002 ETH: once approved, a manager refunds the extra "
        "0.001 ETH from the sales page."
    )
    _fits_and_passes(page, "overpaid while confirming")
    _settle(shop, chain, tracker)
    expect(page.locator("#receipt-status")).to_have_text("Approved: overpaid", timeout=WAIT_MS)
    expect(page.locator("#receipt-note")).to_have_text(
        "Received 0.003 ETH for 0.002 ETH: a manager refunds the extra 0.001 ETH from the "
        "sales page."
    )
    expect(page.locator("#receipt-tx")).to_have_text(tx_hash_of(paid))
    _fits_and_passes(page, "receipt of an overpayment")
    screenshot(page, "pos-receipt-overpaid-phone")


def test_the_keypad_adds_a_custom_amount_that_is_charged_on_its_own(
    chain: Any, escrow: Any, phone: BrowserContext, pos_server: str, keys: StoreKeys, shop: Shop
) -> None:
    page = phone.new_page()
    pair(page, pos_server, keys.terminal)
    keypad = page.get_by_role("group", name="Keypad")
    for key in ("1", "Decimal point", "2", "5", "5", "Delete the last digit"):
        keypad.get_by_role("button", name=key, exact=True).click()
    expect(page.locator("#keypad-display")).to_have_text("1.25")
    page.get_by_role("button", name="Add amount").click()
    expect(page.locator("#keypad-display")).to_have_text("0")
    expect(page.locator("#cart-lines li")).to_have_text(["Custom amount: 1.25 ETH×"])
    # 1.25 ETH at 4 500 000 KRW per ETH.
    expect(page.locator("#cart-total")).to_have_text("1.25 ETH")
    expect(page.locator("#cart-fiat")).to_have_text("≈ 5625000 KRW")
    _fits_and_passes(page, "keypad with a custom line")
    screenshot(page, "pos-keypad-phone")

    # An invoice is a cart or an amount: with a latte too, the server refuses the mix.
    add_to_cart(page, "Cafe latte")
    expect(page.locator("#sale-error")).to_have_text(
        "a custom amount is charged on its own: charge the items first, then the amount"
    )
    expect(page.get_by_role("button", name="Charge")).to_be_disabled()
    page.get_by_role("button", name="One Cafe latte less").click()
    expect(page.locator("#sale-error")).to_have_text("")

    charge(page)
    invoice = only_invoice(shop.engine)
    assert invoice.amount == 125 * 10**16
    expect(page.locator("#pay-amount")).to_have_text("1.25 ETH")
    _fits_and_passes(page, "payment request of a custom amount")
    # The copy button puts the deposit address on the clipboard.
    phone.grant_permissions(["clipboard-read", "clipboard-write"], origin=pos_server)
    page.get_by_role("button", name="Copy address").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == invoice.deposit_address
