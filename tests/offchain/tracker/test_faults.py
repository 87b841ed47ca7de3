"""Faults in the middle of a tracker run: the tracker process killed, the node killed, the
database connection cut, two trackers at once. After each, every payment is counted once
and the valid totals equal the chain's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from web3.exceptions import Web3RPCError

from coinpos.db.engine import make_engine
from coinpos.db.models import Invoice, TrackerCursor, TxKind
from coinpos.tracker.errors import NodeUnavailableError
from tests.offchain.conftest import POSTGRES_URL
from tests.offchain.tracker.anvil import ROOT
from tests.offchain.tracker.conftest import UNIT, Shop


def _paid_invoices(shop: Shop, count: int, empty_blocks: int = 0) -> list[Invoice]:
    invoices = [shop.invoice((n + 1) * UNIT) for n in range(count)]
    for invoice in invoices:
        shop.pay(invoice, invoice.amount)  # one block each
    shop.anvil.mine(empty_blocks + 2)
    return invoices


def _assert_counted_once(shop: Shop, invoices: list[Invoice]) -> None:
    payments = [e for e in shop.entries() if e.kind is TxKind.PAYMENT]
    assert len(payments) == len(invoices)
    assert len({(e.tx_hash, e.log_index) for e in payments}) == len(invoices)
    for invoice in invoices:
        assert shop.valid_total(invoice) == shop.on_chain(invoice) == invoice.amount


def _cursor(engine: Engine) -> int:
    with Session(engine) as session:
        return max([-1, *session.scalars(select(TrackerCursor.last_block))])


@pytest.mark.postgres
def test_tracker_process_killed_mid_run__restart_loses_and_doubles_nothing(
    shop: Shop, db_url: str
) -> None:
    invoices = _paid_invoices(shop, 30, empty_blocks=200)
    head = shop.anvil.w3.eth.block_number
    command = [
        sys.executable, "-c", "from coinpos.cli import main; main()", "--db", db_url, "track",
        "--rpc", shop.anvil.url, "--escrow", shop.escrow.address, "--batch-blocks", "1", "--json",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while _cursor(shop.engine) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    killed_at = _cursor(shop.engine)
    assert 20 <= killed_at < head, "the kill must land in the middle of the scan"

    shop.tracker().run_once()
    assert _cursor(shop.engine) == head
    _assert_counted_once(shop, invoices)


@pytest.mark.postgres
def test_node_killed_mid_run__restarted_from_its_state__nothing_lost(shop: Shop) -> None:
    invoices = _paid_invoices(shop, 8, empty_blocks=20)
    time.sleep(1.5)  # the node writes its state every second
    tracker = shop.tracker(batch_blocks=2)
    ranges = 0

    def kill_after_three(done: int, total: int) -> None:
        nonlocal ranges
        ranges += 1
        if ranges == 3:
            shop.anvil.stop(signal.SIGKILL)

    with pytest.raises(NodeUnavailableError):
        tracker.run_once(kill_after_three)
    assert 0 < _cursor(shop.engine) < 20

    shop.anvil.start()
    tracker.run_once()
    _assert_counted_once(shop, invoices)


@pytest.mark.postgres
def test_database_connection_cut_mid_run__the_step_rolls_back_and_resumes(shop: Shop) -> None:
    invoices = _paid_invoices(shop, 6)
    tracker = shop.tracker(batch_blocks=3)
    postgres = shop.engine.dialect.name == "postgresql"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT") if postgres else None
    inserts = 0

    def cut_on_third_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        nonlocal inserts
        if not statement.startswith("INSERT INTO transaction_log"):
            return
        inserts += 1
        if inserts != 3:
            return
        raw = conn.connection.dbapi_connection
        if admin is None:
            raw.close()  # SQLite: the connection goes away under the statement
            return
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": raw.info.backend_pid})

    event.listen(shop.engine, "before_cursor_execute", cut_on_third_insert)
    try:
        with pytest.raises(DBAPIError) as cut:
            tracker.run_once()
        assert cut.value.connection_invalidated
    finally:
        event.remove(shop.engine, "before_cursor_execute", cut_on_third_insert)
        if admin is not None:
            admin.dispose()
    # The ranges before the cut are committed; the one cut rolled back with its cursor move.
    assert 0 < len(shop.entries()) < len(invoices)
    assert _cursor(shop.engine) < shop.anvil.w3.eth.block_number

    tracker.run_once()
    _assert_counted_once(shop, invoices)


@pytest.mark.postgres
def test_two_trackers_at_once__process_each_block_once(shop: Shop, db_url: str) -> None:
    invoices = _paid_invoices(shop, 30)
    errors: list[BaseException] = []

    def run() -> None:
        engine = make_engine(db_url)
        try:
            shop.tracker(batch_blocks=1, engine=engine).run_once()
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _assert_counted_once(shop, invoices)


@pytest.mark.postgres
def test_node_restarted_from_its_state_file__eth_and_token_deposits_still_found(
    shop: Shop,
) -> None:
    # A node restarted from its state file (docs/TRACKER.md's recipe) keeps the blocks, the
    # receipts and the current state, but no state at the old blocks.
    invoices = [shop.invoice((n + 1) * UNIT, eth=n % 2 == 0) for n in range(6)]
    for invoice in invoices:
        shop.pay(invoice, invoice.amount)
    shop.anvil.mine(20)
    time.sleep(1.5)  # the node writes its state every second
    tracker = shop.tracker(batch_blocks=4)
    ranges = 0

    def kill_after_two(done: int, total: int) -> None:
        nonlocal ranges
        ranges += 1
        if ranges == 2:
            shop.anvil.stop(signal.SIGKILL)

    with pytest.raises(NodeUnavailableError):
        tracker.run_once(kill_after_two)
    shop.anvil.start()
    with pytest.raises(Web3RPCError, match="BlockOutOfRangeError"):  # the old state is gone
        shop.anvil.w3.eth.get_balance(shop.payer, block_identifier=1)

    tracker.run_once()
    _assert_counted_once(shop, invoices)
