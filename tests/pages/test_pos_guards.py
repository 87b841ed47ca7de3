"""What the POS and checkout pages refuse or keep, in Chromium: a wrong terminal key, an
out-of-stock item, a post without the CSRF token, inline scripts (the CSP), and the phone
layout (no horizontal scroll at 360 px)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from coinpos.db.models import Invoice
from coinpos.pages.web import CONTENT_SECURITY_POLICY
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import Shop
from tests.pages.conftest import PHONE, horizontal_overflow, pair, screenshot
from tests.pages.png_rgb import decode_qr_screenshot
from tests.server.conftest import StoreKeys


def _invoices(shop: Shop) -> int:
    with UnitOfWork(shop.engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Invoice)) or 0)


def _terminal_cookies(context: BrowserContext) -> list[dict[str, Any]]:
    return [dict(c) for c in context.cookies() if c["name"] == "coinpos_terminal"]


def test_a_wrong_terminal_key_is_refused_and_the_right_one_pairs(
    page: Page, pos_server: str, keys: StoreKeys
) -> None:
    wrong = keys.terminal[:-4] + ("0000" if not keys.terminal.endswith("0000") else "1111")
    pair(page, pos_server, wrong)
    expect(page.get_by_role("alert")).to_have_text(
        "That is not a live terminal key of this exchange."
    )
    expect(page.get_by_role("heading", name="Pair this terminal")).to_be_visible()
    assert _terminal_cookies(page.context) == []
    # The control: the store's own key pairs, and the page is the catalogue.
    pair(page, pos_server, keys.terminal)
    expect(page.get_by_role("heading", name="Catalogue")).to_be_visible()
    assert len(_terminal_cookies(page.context)) == 1


def test_an_out_of_stock_item_cannot_be_added(page: Page, pos_server: str, keys: StoreKeys) -> None:
    pair(page, pos_server, keys.terminal)
    muffin = page.locator("#catalogue .item", has_text="Blueberry muffin")
    expect(muffin).to_contain_text("Out of stock")
    add = muffin.get_by_role("button", name="Add Blueberry muffin")
    expect(add).to_be_disabled()
    add.click(force=True)
    expect(page.locator("#cart-lines li")).to_have_count(0)
    expect(page.get_by_role("button", name="Charge")).to_be_disabled()
    # Nor past the page: the server's cart total refuses it.
    csrf = page.locator("body").get_attribute("data-csrf") or ""
    answer = page.request.post(
        f"{pos_server}/pos/quote",
        data={"cart": [{"sku": "MUFFIN", "quantity": 1}]},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status == 422
    assert answer.json()["detail"] == "only 0 of Blueberry muffin in stock"
    # The control: the latte in stock is added.
    page.get_by_role("button", name="Add Cafe latte").click()
    expect(page.locator("#cart-lines li")).to_have_count(1)
    expect(page.get_by_role("button", name="Charge")).to_be_enabled()


def test_posts_need_the_csrf_token_and_pages_allow_only_their_own_scripts(
    page: Page, pos_server: str, keys: StoreKeys, shop: Shop
) -> None:
    pair(page, pos_server, keys.terminal)
    body = {"coin": "ETH", "cart": [{"sku": "LATTE", "quantity": 1}]}
    refused = page.request.post(f"{pos_server}/pos/charge", data=body)
    assert refused.status == 403 and "CSRF" in refused.json()["detail"]
    forged = page.request.post(
        f"{pos_server}/pos/charge", data=body, headers={"X-CSRF-Token": "x" * 43}
    )
    assert forged.status == 403
    assert _invoices(shop) == 0
    csrf = page.locator("body").get_attribute("data-csrf") or ""
    accepted = page.request.post(
        f"{pos_server}/pos/charge", data=body, headers={"X-CSRF-Token": csrf}
    )
    assert accepted.status == 201 and _invoices(shop) == 1

    answer = page.goto(f"{pos_server}/pos")
    assert answer is not None
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    scripts = page.eval_on_selector_all("script", "all => all.map(s => [s.src, s.text])")
    assert scripts and all(src.startswith(f"{pos_server}/static/") for src, _ in scripts)
    assert all(text.strip() == "" for _, text in scripts)
    # The policy is enforced: a script the page did not serve does not run.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = true'; document.body.append(s); }"
    )
    assert page.evaluate("window.injected === undefined")


def test_pos_and_checkout_fit_a_phone_and_the_checkout_pays_by_wallet_link(
    context: BrowserContext, pos_server: str, keys: StoreKeys, shop: Shop
) -> None:
    context.close()  # this test's own window is a phone's
    browser = context.browser
    assert browser is not None
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2)
    try:
        page = phone.new_page()
        pair(page, pos_server, keys.terminal)
        assert horizontal_overflow(page) == 0
        page.get_by_role("button", name="Add Cafe latte").click()
        expect(page.locator("#cart-total")).to_have_text("0.002 ETH")
        assert horizontal_overflow(page) == 0
        screenshot(page, "pos-phone")
        page.get_by_role("button", name="Charge").click()
        expect(page.locator("#charged")).to_be_visible()
        assert horizontal_overflow(page) == 0

        with UnitOfWork(shop.engine) as uow:
            [invoice] = uow.session.scalars(select(Invoice)).all()
            uri, address = invoice.payment_uri, invoice.deposit_address
        checkout = page.locator("#checkout-link").get_attribute("href")
        assert checkout
        shopper = phone.new_page()
        shopper.goto(checkout)
        expect(shopper.get_by_role("link", name="Open in wallet")).to_have_attribute("href", uri)
        expect(shopper.locator("#pay-address")).to_have_text(str(address))
        expect(shopper.locator("#status")).to_have_text("Waiting for payment")
        shopper.wait_for_function("document.getElementById('qr').complete")
        assert horizontal_overflow(shopper) == 0
        screenshot(shopper, "checkout-phone")
        [decoded] = decode_qr_screenshot(shopper.locator(".payment").screenshot())
        assert decoded.text == uri
        # The control: the measure finds a page wider than the phone.
        shopper.evaluate(
            "() => { const d = document.createElement('div');"
            " d.style.width = '500px'; d.style.height = '1px'; document.body.append(d); }"
        )
        assert horizontal_overflow(shopper) > 0
    finally:
        phone.close()
