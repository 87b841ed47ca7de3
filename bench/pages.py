"""The POS page in Chromium (Debian's, through Playwright), against `uvicorn` serving the
exchange app in a process of its own (one worker, SQLite on a temporary file), on the bench's
anvil chain.

- First load: the paired `/pos` page (catalogue, cart, keypad) loaded LOADS times after
  WARMUP loads (a warm server and a warm browser cache of the static files, no-store HTML):
  navigation start to the load event, from the page's Navigation Timing entry.
- Confirmation to Approved: PAYMENTS sales, each charged on the page, paid by a plain
  transfer to its deposit address, and confirmed by the tracker (depth 2) run here. From
  the moment the tracker's transaction that sets the invoice Settled commits (an
  `after_commit` hook on its session, wall clock) to the animation frame after the page
  showed the receipt's Approved (Date.now() in Chromium, the same wall clock), through the
  page's event stream.

Nothing is asserted: the figures are reported beside their goals (< 1 s each).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from bench.api import BUILD, OPERATOR_KEY, _free_port, _percentile, _start, _stop
from bench.common import BenchContext, Measurement
from bench.tracker import plain_anvil, send_transaction
from coinpos.apikeys.service import issue_key
from coinpos.catalogue.service import add_item
from coinpos.db.engine import make_engine
from coinpos.db.migrate import upgrade
from coinpos.db.models import Invoice, InvoiceStatus, KeyRole
from coinpos.invoices import events as invoice_events
from coinpos.rates.service import set_rate
from coinpos.stores.service import add_coin, add_terminal, create_store
from coinpos.tracker.chain import ChainReader, as_int
from coinpos.tracker.config import ConfirmationRule, TrackerConfig
from coinpos.tracker.revert import ErrorDecoder
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.tracker.service import Tracker
from coinpos.unit_of_work import UnitOfWork

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]  # fmt: skip
WARMUP, LOADS = 3, 20
PAYMENTS = 50
PRICE = 10**15  # 0.001 ETH
# No contract is needed at the escrow's address to track plain ETH transfers to deposits.
ESCROW = "0x" + "33" * 20
# Blocks mined after a payment before the bench gives up on its approval (depth 2 needs 2).
MAX_BLOCKS = 20
TABLET = {"width": 1024, "height": 768}


def pages_app() -> Any:
    """The app the server process builds: signing invoices for ESCROW."""
    from coinpos.chainops.keys import LocalKey
    from coinpos.invoices.service import Issuer
    from coinpos.invoices.terms import EscrowDomain
    from coinpos.server.app import create_app
    from coinpos.server.settings import ServerSettings

    types = json.loads(BUILD.read_text())["contractTypes"]
    code = types["DepositForwarder"]["deploymentBytecode"]["bytecode"]
    issuer = Issuer(
        EscrowDomain(int(os.environ["COINPOS_BENCH_CHAIN_ID"]), ESCROW),
        bytes.fromhex(code.removeprefix("0x")),
        LocalKey(OPERATOR_KEY),
        qr_dir=None,
    )
    return create_app(ServerSettings(database_url=os.environ["COINPOS_BENCH_DB"], issuer=issuer))


def _shop(url: str, chain_id: int) -> str:
    """A store with a terminal key, ETH, a rate and an item in stock; returns the key."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with UnitOfWork(engine) as uow:
            store = create_store(uow, "Bench Cafe", "KRW")
        with UnitOfWork(engine) as uow:
            add_terminal(uow, store.store_id, "T1", "bench")
        with UnitOfWork(engine) as uow:
            key = issue_key(uow, store.store_id, "T1", KeyRole.TERMINAL).key
        with UnitOfWork(engine) as uow:
            add_coin(uow, "ETH", chain_id, 18, None)
        with UnitOfWork(engine) as uow:
            add_item(uow, store.store_id, "LATTE", "Cafe latte", "ETH", PRICE, 10 * PAYMENTS)
        with UnitOfWork(engine) as uow:
            set_rate(uow, "ETH", "KRW", Decimal("4500000"))
        return key
    finally:
        engine.dispose()


@contextmanager
def _settled_commits() -> Iterator[dict[int, float]]:
    """Invoice id -> wall-clock time of the commit that made it Settled, in this process."""
    committed: dict[int, float] = {}
    original = invoice_events.record

    def record(session: Session, changes: Any, now: Any) -> None:
        settled = [c.invoice_id for c in changes if c.status is InvoiceStatus.SETTLED]
        if settled:
            session.info.setdefault("bench_settled", []).extend(settled)
        original(session, changes, now)

    def after_commit(session: Session) -> None:
        moment = time.time()
        for invoice_id in session.info.pop("bench_settled", []):
            committed[invoice_id] = moment

    invoice_events.record = record  # type: ignore[assignment]
    event.listen(Session, "after_commit", after_commit)
    try:
        yield committed
    finally:
        event.remove(Session, "after_commit", after_commit)
        invoice_events.record = original  # type: ignore[assignment]


def _percentiles(values: list[float]) -> str:
    """p50, p90, p99 (as bench/api.py: with fewer than 100 values, the slowest), fastest."""
    ordered = sorted(values)
    return (
        f"p50 {statistics.median(ordered):.0f} ms, p90 {_percentile(ordered, 0.9):.0f} ms, "
        f"p99 {_percentile(ordered, 0.99):.0f} ms (fastest {ordered[0]:.0f} ms)"
    )


_WATCH_RECEIPT = """() => {
  const receipt = document.getElementById("receipt");
  window.approvedAt = null;
  new MutationObserver(() => {
    if (!receipt.hidden && window.approvedAt === null) {
      requestAnimationFrame(() => { window.approvedAt = Date.now(); });
    }
  }).observe(receipt, { attributes: true });
}"""


def _invoice_of(url: str, invoice_hash: str) -> tuple[int, str, int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            row = session.query(Invoice).filter(Invoice.invoice_hash == invoice_hash).one()
            return row.id, str(row.deposit_address), row.amount
    finally:
        engine.dispose()


def run(ctx: BenchContext) -> list[Measurement]:
    """On an anvil of its own: the shared chain's clock may be days ahead of the wall clock
    after the other benches' time travel, and the server dates invoices by the wall clock."""
    from playwright.sync_api import expect, sync_playwright

    with plain_anvil() as node, tempfile.TemporaryDirectory() as directory:
        rpc = JsonRpcClient(node)
        chain_id = as_int(rpc.call("eth_chainId"))
        payer = rpc.call("eth_accounts")[7]
        url = f"sqlite:///{Path(directory) / 'pages.db'}"
        key = _shop(url, chain_id)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _start(
            [sys.executable, "-m", "uvicorn", "bench.pages:pages_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
             "--no-access-log"],
            {"COINPOS_BENCH_DB": url, "COINPOS_BENCH_CHAIN_ID": str(chain_id)},
            Path(directory) / "server.log",
            base,
        )  # fmt: skip
        engine = make_engine(url)
        try:
            with sync_playwright() as playwright, _settled_commits() as committed:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport=TABLET).new_page()
                page.goto(f"{base}/pos")
                page.get_by_label("Terminal key").fill(key)
                page.get_by_role("button", name="Pair").click()
                page.wait_for_load_state()

                loads: list[float] = []
                for i in range(WARMUP + LOADS):
                    page.goto(f"{base}/pos", wait_until="load")
                    entry = page.evaluate(
                        "() => { const n = performance.getEntriesByType('navigation')[0];"
                        " return n.loadEventEnd - n.startTime; }"
                    )
                    if i >= WARMUP:
                        loads.append(float(entry))

                tracker = Tracker(
                    engine,
                    ChainReader(JsonRpcClient(node)),
                    TrackerConfig(
                        escrow=ESCROW,
                        rule=ConfirmationRule(depth=2),
                        start_block=as_int(rpc.call("eth_blockNumber")) + 1,
                    ),
                    ErrorDecoder(),
                )
                tracker.run_once()
                approvals: list[float] = []
                for _ in range(PAYMENTS):
                    page.goto(f"{base}/pos")
                    page.get_by_role("button", name="Add Cafe latte").click()
                    expect(page.locator("#cart-total")).to_have_text("0.001 ETH")
                    page.get_by_role("button", name="Charge").click()
                    expect(page.locator("#status")).to_have_text("Waiting for payment")
                    page.evaluate(_WATCH_RECEIPT)
                    invoice_hash = page.locator("#charged").get_attribute("data-invoice") or ""
                    invoice_id, deposit, amount = _invoice_of(url, invoice_hash)
                    send_transaction(rpc, {"from": payer, "to": deposit, "value": hex(amount)})
                    for _block in range(MAX_BLOCKS):
                        if invoice_id in committed:
                            break
                        rpc.call("anvil_mine", ["0x1"])
                        tracker.run_once()
                    else:
                        raise RuntimeError(
                            f"invoice {invoice_id} not approved {MAX_BLOCKS} blocks after its "
                            "payment"
                        )
                    page.wait_for_function("() => window.approvedAt !== null", timeout=30_000)
                    shown = float(page.evaluate("window.approvedAt")) / 1000
                    approvals.append((shown - committed[invoice_id]) * 1000)
                browser.close()
        finally:
            engine.dispose()
            _stop(server)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    conditions = f"warm server, this machine (2 cores, load {load})"
    return [
        Measurement(
            "pages",
            f"POS first load, navigation to load event ({LOADS} loads)",
            _percentiles(loads),
            conditions,
            "< 1 s",
        ),
        Measurement(
            "pages",
            f"tracker's Settled commit to Approved on the POS ({PAYMENTS} payments)",
            _percentiles(approvals),
            f"{conditions}; SQLite, the stream hub polling every 0.2 s",
            "p99 < 1 s",
        ),
    ]
