"""axe-core (npm, pinned in package-lock.json) run in Chromium over each page and state:
no serious or critical violation. The pages' CSP forbids injected scripts, so this
test's window alone bypasses it to load axe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.chainops.conftest import Shop
from tests.pages.conftest import PHONE, TABLET, pair
from tests.pages.conftest import serious_violations as _violations
from tests.server.conftest import StoreKeys


@pytest.fixture(params=[TABLET, PHONE], ids=["tablet", "phone"])
def axe_context(
    browser: Browser, pos_server: str, request: pytest.FixtureRequest
) -> Iterator[BrowserContext]:
    # After the server (closed before it), so no page's event stream holds its shutdown.
    opened = browser.new_context(viewport=request.param, bypass_csp=True)
    yield opened
    opened.close()


def test_every_page_has_no_serious_or_critical_violation(
    axe_context: BrowserContext, pos_server: str, keys: StoreKeys, shop: Shop
) -> None:
    page = axe_context.new_page()
    page.goto(f"{pos_server}/pos")
    assert _violations(page) == [], "pairing page"
    pair(page, pos_server, keys.terminal)
    page.get_by_role("button", name="Add Cafe latte").click()
    expect(page.locator("#cart-total")).to_have_text("0.002 ETH")
    assert _violations(page) == [], "catalogue and cart"
    page.get_by_role("button", name="Charge").click()
    expect(page.locator("#status")).to_have_text("Waiting for payment")
    assert _violations(page) == [], "payment request"
    checkout = page.locator("#checkout-link").get_attribute("href")
    assert checkout and checkout.startswith(f"{pos_server}/i/")
    page.goto(checkout)
    expect(page.locator("#status")).to_have_text("Waiting for payment")
    assert _violations(page) == [], "checkout"
    # The control: a button with no name is a critical violation axe reports.
    page.evaluate("() => document.body.append(document.createElement('button'))")
    assert [v["id"] for v in _violations(page)] == ["button-name"]
