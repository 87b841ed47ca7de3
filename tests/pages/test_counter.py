"""The counter story in Chromium: pair the POS, build a cart, charge, decode the QR from the
page's screenshot, pay the deposit address on anvil, run the tracker, and see Processing,
then Approved and the receipt's transaction hash, from the event stream, without a reload
and without a status poll."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page, expect

from coinpos.db.models import InvoiceStatus
from tests.chainops.conftest import Shop
from tests.pages.conftest import (
    LATTE_PRICE,
    Requests,
    charge,
    make_tracker,
    mark_window,
    only_invoice,
    pair,
    screenshot,
    tx_hash_of,
    window_kept,
)
from tests.pages.png_rgb import decode_qr_screenshot
from tests.server.conftest import StoreKeys

APPROVAL_WAIT_MS = 10_000


def test_a_sale_at_the_counter_is_charged_paid_on_chain_and_approved_live(
    page: Page,
    pos_server: str,
    keys: StoreKeys,
    shop: Shop,
    chain: Any,
    escrow: Any,
    customer: Any,
) -> None:
    pair(page, pos_server, keys.terminal)
    assert keys.terminal not in page.content()  # the key is in an HttpOnly cookie only
    [cookie] = [c for c in page.context.cookies() if c["name"] == "coinpos_terminal"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    latte = page.locator("#catalogue .item", has_text="Cafe latte")
    latte.get_by_role("button", name="Add Cafe latte").click()
    latte.get_by_role("button", name="Add Cafe latte").click()
    # 2 × 0.002 ETH = 0.004 ETH; at 4 500 000 KRW per ETH that is 18 000 KRW.
    expect(page.locator("#cart-total")).to_have_text("0.004 ETH")
    expect(page.locator("#cart-fiat")).to_have_text("≈ 18000 KRW")
    screenshot(page, "pos-cart")

    start_block = chain.blocks.height
    requests = Requests(page)
    charge(page)
    mark_window(page)
    invoice = only_invoice(shop.engine)
    assert invoice.amount == 2 * LATTE_PRICE
    expect(page.locator("#pay-address")).to_have_text(str(invoice.deposit_address))
    assert page.locator("#countdown").inner_text().startswith(("14:", "15:"))
    assert page.evaluate("window.coinposTransport") == "stream"

    screenshot(page, "pos-charged")
    # The payment panel as the shopper's camera sees it: QR, amount and address.
    [decoded] = decode_qr_screenshot(page.locator("#charged .payment").screenshot())
    assert decoded.text == invoice.payment_uri

    receipt = customer.transfer(invoice.deposit_address, invoice.amount)
    tracker = make_tracker(shop.engine, chain, escrow, start_block)
    tracker.run_once()  # seen in a block, not yet at depth
    assert only_invoice(shop.engine).status is InvoiceStatus.PROCESSING
    expect(page.locator("#status")).to_have_text("Processing: confirming the payment")
    deadline = time.monotonic() + APPROVAL_WAIT_MS / 1000
    while only_invoice(shop.engine).status is not InvoiceStatus.SETTLED:
        assert time.monotonic() < deadline, "the tracker did not settle the invoice"
        chain.mine(1)
        tracker.run_once()

    expect(page.locator("#receipt .approved")).to_have_text("Approved", timeout=APPROVAL_WAIT_MS)
    assert window_kept(page), "the page was reloaded"
    base = f"/pos/invoices/{invoice.invoice_hash}"
    # One stream, and not one read of the status JSON (the fallback when there is no stream).
    assert requests.to(f"{base}/events") == ["eventsource"]
    assert requests.to(base) == []
    expect(page.locator("#receipt-tx")).to_have_text(tx_hash_of(receipt))
    expect(page.locator("#receipt-invoice")).to_have_text(invoice.invoice_hash)
    expect(page.locator("#receipt-amount")).to_have_text("0.004 ETH")
    expect(page.locator("#receipt-paid")).to_have_text("0.004 ETH")
    expect(page.locator("#receipt")).to_contain_text("Gangnam Cafe")
    expect(page.locator("#receipt-note")).to_have_text("")
    screenshot(page, "pos-receipt")

    # Print: the button calls window.print(), and the print layout is the receipt alone.
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    expect(page.locator("#receipt-tx")).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.locator("header.bar")).to_be_hidden()
    page.emulate_media(media="screen")
    expect(page.get_by_role("button", name="Print")).to_be_visible()

    # New sale: the catalogue again, with the stock the sale took.
    page.get_by_role("button", name="New sale").last.click()
    expect(page.locator("#catalogue .item", has_text="Cafe latte")).to_contain_text("3 in stock")
    expect(page.locator("#cart-lines li")).to_have_count(0)
