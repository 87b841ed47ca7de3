"""The pages in a real browser: Debian's Chromium at /usr/bin/chromium driven by Playwright
(its own browser download is not reachable), one browser per test module, against the
exchange server on a real port over a real SQLite database and anvil.

`make setup` installs the browser when it is missing; without it these tests fail rather
than skip, so CI cannot pass without running them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from sqlalchemy import Engine, select

from coinpos.catalogue.service import add_item
from coinpos.chainops import operations
from coinpos.chainops.sender import TransactionSender
from coinpos.chainops.settlement import EscrowSettlementExecutor
from coinpos.db.models import Invoice, Store, StoreBalance
from coinpos.rates.service import set_rate
from coinpos.settlement.batches import run_settlements as run_settlement_batches
from coinpos.tracker.chain import ChainReader
from coinpos.tracker.config import ConfirmationRule, TrackerConfig
from coinpos.tracker.revert import ErrorDecoder
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.tracker.service import Tracker
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import Shop, issuer, operator_key, shop  # noqa: F401
from tests.contracts.escrow.conftest import deploy_escrow, escrow  # noqa: F401
from tests.offchain.conftest import db_url, engine, pytest_generate_tests  # noqa: F401
from tests.offchain.factories import PASSWORD
from tests.offchain.tracker.anvil import contract_type
from tests.server.conftest import StoreKeys, pos_server, store_with_keys  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS = Path(__file__).resolve().parents[2] / "out" / "screens"
PHONE = {"width": 360, "height": 740}
TABLET = {"width": 1024, "height": 768}

# The catalogue of the tests' shop: prices in ETH base units (1 ETH = 10**18).
LATTE_PRICE = 2 * 10**15
LATTE_STOCK = 5


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"no {CHROMIUM}: run `make setup` to install chromium"
    with sync_playwright() as playwright:
        # Playwright gives each launch a fresh, temporary user-data directory.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport=TABLET)
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def keys(shop: Shop) -> StoreKeys:  # noqa: F811
    """The shop's keys and catalogue: a latte in stock, a muffin sold out, ETH at 4 500 000 KRW.
    The store pays no capture fee, so the pages' figures are the sale's own (the fee's
    arithmetic is the ledger's, tested there)."""
    with UnitOfWork(shop.engine) as uow:
        stored = uow.session.get(Store, shop.store.store_id)
        assert stored is not None
        stored.fee_bps = 0
        uow.commit()
    with UnitOfWork(shop.engine) as uow:
        add_item(uow, shop.store.store_id, "LATTE", "Cafe latte", "ETH", LATTE_PRICE, LATTE_STOCK)
    with UnitOfWork(shop.engine) as uow:
        add_item(uow, shop.store.store_id, "MUFFIN", "Blueberry muffin", "ETH", 10**15, 0)
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "ETH", "KRW", Decimal("4500000"))
    return store_with_keys(shop.engine, store=shop.store)


def screenshot(page: Page, name: str) -> bytes:
    SCREENS.mkdir(parents=True, exist_ok=True)
    return page.screenshot(path=SCREENS / f"{name}.png", full_page=True)


def pair(page: Page, base_url: str, key: str) -> None:
    page.goto(f"{base_url}/pos")
    page.get_by_label("Terminal key").fill(key)
    page.get_by_role("button", name="Pair").click()
    page.wait_for_load_state()


def horizontal_overflow(page: Page) -> int:
    """How far the page is wider than the window (0: no horizontal scroll)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def only_invoice(db: Engine) -> Invoice:
    """The test's one invoice, detached (read again for each look)."""
    with UnitOfWork(db) as uow:
        [invoice] = uow.session.scalars(select(Invoice)).all()
        uow.session.expunge(invoice)
        return invoice


def make_tracker(db: Engine, chain: Any, escrow_contract: Any, start_block: int) -> Tracker:
    return Tracker(
        db,
        ChainReader(JsonRpcClient(chain.provider.uri)),
        TrackerConfig(
            escrow=str(escrow_contract.address),
            rule=ConfirmationRule(depth=2),
            start_block=start_block,
        ),
        ErrorDecoder([contract_type("PaymentEscrow")["abi"]]),
    )


# How long the tests mine blocks and run the tracker before giving up on what they wait for.
TRACK_WAIT_S = 20


def track_until(tracker: Tracker, chain: Any, done: Callable[[], bool], what: str) -> None:
    """Mines a block and runs the tracker until `done()`, for at most TRACK_WAIT_S."""
    deadline = time.monotonic() + TRACK_WAIT_S
    while not done():
        assert time.monotonic() < deadline, f"the tracker did not see {what}"
        chain.mine(1)
        tracker.run_once()


def _captured(db: Engine, invoice: Invoice) -> int:
    with UnitOfWork(db) as uow:
        captured = uow.session.scalars(
            select(StoreBalance.captured).where(
                StoreBalance.store_id == invoice.store_id, StoreBalance.coin_id == invoice.coin_id
            )
        ).one_or_none()
        return int(captured or 0)


# The exchange's side of a sale and of a settlement, as its operator runs them on the escrow.
# The pages' tests reach the escrow only through these two, so that a change of the escrow
# (or of how its operations are sent) is made here once.


def capture_sale(
    db: Engine,
    sender: TransactionSender,
    tracker: Tracker,
    chain: Any,
    invoice: Invoice,
) -> None:
    """A paid invoice's deposit swept into the escrow (each transfer attested as the tracker
    recorded it; an excess goes back to its sender) and its whole amount captured; returns
    once the tracker has confirmed the capture, so the store's balance counts it, less the
    store's fee on the invoice."""
    before = _captured(db, invoice)
    with UnitOfWork(db) as uow:
        operations.sweep(uow, sender, [invoice.invoice_hash], key=f"sweep-{invoice.invoice_hash}")
    with UnitOfWork(db) as uow:
        operations.capture(uow, sender, invoice.invoice_hash)
    credit = invoice.amount - invoice.amount * invoice.fee_bps // 10_000
    track_until(
        tracker,
        chain,
        lambda: _captured(db, invoice) == before + credit,
        "the capture",
    )


def run_settlements(db: Engine, sender: TransactionSender) -> None:
    """The settlement execution, as `coinpos settle send` runs it: every settlement still
    requested is sent on chain (none, when the server sent it as it was requested)."""
    with UnitOfWork(db) as uow:
        run_settlement_batches(uow, EscrowSettlementExecutor(sender))


def sign_in(page: Page, base_url: str, key: str) -> None:
    """The manager's sign-in on the store sales page."""
    page.goto(f"{base_url}/pos/sales")
    page.get_by_label("Manager key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def log_in(page: Page, base_url: str, password: str = PASSWORD, login_id: str = "minji") -> None:
    """The customer's login on the wallet page."""
    page.goto(f"{base_url}/wallet")
    page.get_by_label("Login ID").fill(login_id)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def tx_hash_of(receipt: Any) -> str:
    return receipt.txn_hash if isinstance(receipt.txn_hash, str) else receipt.txn_hash.hex()


class Requests:
    """The page's requests, by path: proof of what the page asked (or did not ask)."""

    def __init__(self, page: Page) -> None:
        self.seen: list[tuple[str, str]] = []
        page.on("request", lambda r: self.seen.append((r.resource_type, urlsplit(r.url).path)))

    def to(self, path: str) -> list[str]:
        return [kind for kind, seen in self.seen if seen == path]


def mark_window(page: Page) -> None:
    """A mark a reload would wipe: `window_kept(page)` is then False."""
    page.evaluate("window.coinposTestMark = 'kept'")


def window_kept(page: Page) -> bool:
    return bool(page.evaluate("window.coinposTestMark === 'kept'"))


def add_to_cart(page: Page, name: str, times: int = 1) -> None:
    for _ in range(times):
        page.get_by_role("button", name=f"Add {name}").click()


def charge(page: Page) -> None:
    page.get_by_role("button", name="Charge").click()
    expect(page.locator("#charged")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Waiting for payment")
    page.wait_for_function("document.getElementById('qr').complete")


# axe-core (npm, pinned in package-lock.json); the window must bypass the CSP to load it.
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def serious_violations(page: Page) -> list[dict[str, Any]]:
    assert AXE.exists(), f"no {AXE}: run `make setup` (npm ci)"
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))"
    )
    return [v for v in found if v["impact"] in BLOCKING]
