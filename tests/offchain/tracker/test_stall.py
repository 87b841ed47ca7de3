"""A node that refuses a call does not stall the tracker silently: the failure is on the
cursor row, `coinpos status` shows it with the lag, --follow keeps retrying, and the first
pass that gets through clears it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.cli import cli
from coinpos.db.models import TrackerCursor, TxStatus
from tests.offchain.tracker.anvil import ROOT
from tests.offchain.tracker.conftest import UNIT, Shop
from tests.offchain.tracker.state_proxy import StateProxy


@pytest.fixture
def proxy(shop: Shop) -> Iterator[StateProxy]:
    node = StateProxy(shop.anvil.url)
    try:
        yield node
    finally:
        node.close()


def _status(db_url: str, rpc: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--db", db_url, "status", "--rpc", rpc, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def _wait_for(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _attempts(shop: Shop) -> int:
    with Session(shop.engine) as session:
        return max([0, *session.scalars(select(TrackerCursor.stall_attempts))])


@pytest.mark.postgres
def test_node_refusing_a_call__status_shows_the_stall__follow_retries_and_clears_it(
    shop: Shop, proxy: StateProxy, db_url: str
) -> None:
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, UNIT)
    shop.anvil.mine(2)
    shop.tracker().run_once()  # the cursor exists; then the node stops serving logs
    shop.pay(shop.invoice(UNIT), UNIT)
    shop.anvil.mine(2)
    proxy.refused_method = "eth_getLogs"

    command = [
        sys.executable, "-c", "from coinpos.cli import main; main()", "--db", db_url, "track",
        "--rpc", proxy.url, "--escrow", shop.escrow.address, "--follow", "--interval", "0.1",
        "--json",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT
    )
    try:
        _wait_for(lambda: _attempts(shop) >= 2)  # it keeps trying, and keeps count
        shown = _status(db_url, shop.anvil.url)
        assert shown["tracker"].startswith("main@31337: tracker stalled since ")
        assert "eth_getLogs: the method eth_getLogs does not exist" in shown["tracker"]
        assert shown["tracker_lag_blocks"] == 3
        with Session(shop.engine) as session:
            cursor = session.scalars(select(TrackerCursor)).one()
            assert cursor.stall_call == "eth_getLogs" and cursor.stalled_since is not None

        proxy.refused_method = None
        _wait_for(lambda: _attempts(shop) == 0)
        _wait_for(lambda: len(shop.entries(TxStatus.CONFIRMED)) == 2)
        shown = _status(db_url, shop.anvil.url)
        assert shown["tracker"] == "main@31337: running"
        assert shown["tracker_lag_blocks"] == 0
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert b"eth_getLogs" in stderr and b"retrying in" in stderr
