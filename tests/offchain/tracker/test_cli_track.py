from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos import deployments
from coinpos.cli import cli
from coinpos.db.models import TrackerCursor
from tests.offchain.tracker.conftest import UNIT, Shop


@pytest.fixture
def run(db_url: str) -> Any:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--db", db_url, *args])

    return invoke


@pytest.mark.postgres
def test_track_json__records_and_confirms__status_shows_head_cursor_and_lag(
    shop: Shop, run: Any
) -> None:
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, UNIT)
    shop.anvil.mine(2)
    args = ["track", "--rpc", shop.anvil.url, "--escrow", shop.escrow.address, "--json"]
    result = run(*args, "--batch-blocks", "3")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["recorded"], summary["confirmed"]) == (1, 1)
    assert summary["ranges"] >= 2

    status = run("status", "--rpc", shop.anvil.url, "--json")
    assert status.exit_code == 0, status.output
    shown = json.loads(status.output)
    head = shop.anvil.w3.eth.block_number
    assert shown["chain_head"] == head and shown["tracker_lag_blocks"] == 0
    assert shown["tracker_cursor"] == f"main@31337={head}"
    assert shown["valid_transactions"] == 1

    plain = run(*args[:-1])
    assert plain.exit_code == 0 and "recorded" in plain.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--confirmations", "0"], "must be at least 1"),
        (["--confirmations", "latest"], "not one of safe, finalized"),
        (["--escrow", "0x1234"], "address"),
        (["--batch-blocks", "-5"], "batch-blocks"),
    ],
)
def test_track__bad_input__one_line_exit_2_nothing_written(
    run: Any, engine: Any, extra: list[str], message: str
) -> None:
    result = run("track", "--rpc", "http://127.0.0.1:9", *extra)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    with Session(engine) as session:
        assert session.scalars(select(TrackerCursor)).all() == []


@pytest.mark.usefixtures("engine")
def test_track__node_down__one_line_exit_2(run: Any) -> None:
    result = run("track", "--rpc", "http://127.0.0.1:9")
    assert result.exit_code == 2
    assert "unavailable" in result.output and len(result.output.strip().splitlines()) == 1


def test_track_network__takes_the_escrow_from_the_deployment_artifact(
    shop: Shop, run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifact = deployments.Deployment("ethereum", "devnet", 31337)
    artifact.contracts["PaymentEscrow"] = deployments.DeployedContract(
        shop.escrow.address, 1, "0x" + "00" * 32
    )
    monkeypatch.setenv("COINPOS_DEPLOYMENTS_DIR", str(tmp_path))
    deployments.save(artifact, deployments.artifact_path("ethereum", "devnet"))
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, UNIT)
    shop.anvil.mine(2)

    result = run("track", "--rpc", shop.anvil.url, "--network", "ethereum:devnet:node", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["confirmed"] == 1


def test_track_network__without_an_artifact__one_line_exit_2(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COINPOS_DEPLOYMENTS_DIR", str(tmp_path))
    result = run("track", "--rpc", "http://127.0.0.1:9", "--network", "ethereum:nowhere")
    assert result.exit_code == 2
    assert "no deployment artifact" in result.output
    assert len(result.output.strip().splitlines()) == 1


def _catch_up_args(shop: Shop) -> list[str]:
    """A tracker far behind: many blocks, read in small ranges."""
    invoice = shop.invoice(UNIT)
    shop.pay(invoice, UNIT)
    shop.anvil.mine(400)
    return ["track", "--rpc", shop.anvil.url, "--escrow", shop.escrow.address,
            "--batch-blocks", "5"]  # fmt: skip


def test_track__stderr_not_a_terminal__no_progress_bar_json_stays_clean(
    shop: Shop, db_url: str
) -> None:
    args = _catch_up_args(shop)

    as_json = CliRunner(mix_stderr=False).invoke(cli, ["--db", db_url, *args, "--json"])
    plain = CliRunner(mix_stderr=False).invoke(cli, ["--db", db_url, *args])

    assert as_json.exit_code == 0 and plain.exit_code == 0, as_json.output + plain.output
    assert json.loads(as_json.stdout)["ranges"] > 50
    assert (as_json.stderr, plain.stderr) == ("", "")
    assert "catching up" not in plain.stdout


def test_track__stderr_a_terminal__shows_blocks_scanned_of_blocks_to_go(
    shop: Shop, db_url: str
) -> None:
    """On a real pseudo-terminal, as a person running it sees it; stdout stays a pipe."""
    import os
    import pty
    import subprocess
    import sys

    args = _catch_up_args(shop)
    head = shop.anvil.w3.eth.block_number
    leader, follower = pty.openpty()
    coinpos = Path(sys.executable).parent / "coinpos"
    try:
        with os.fdopen(follower, "wb") as terminal:
            done = subprocess.run(
                [str(coinpos), "--db", db_url, *args],
                stdout=subprocess.PIPE,
                stderr=terminal,
                env={**os.environ, "COLUMNS": "100"},
                timeout=120,
            )
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed once everything was read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)

    assert done.returncode == 0
    text = seen.decode(errors="replace")
    assert "catching up" in text and "blocks" in text
    assert f"/{head + 1}" in text  # done of the blocks to go, from block 0 to the head
    assert b"catching up" not in done.stdout and b"recorded" in done.stdout


def test_track_network__artifact_of_another_chain__one_line_exit_2_nothing_recorded(
    shop: Shop, run: Any, engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifact = deployments.Deployment("ethereum", "devnet", 1337)
    artifact.contracts["PaymentEscrow"] = deployments.DeployedContract(
        shop.escrow.address, 1, "0x" + "00" * 32
    )
    monkeypatch.setenv("COINPOS_DEPLOYMENTS_DIR", str(tmp_path))
    deployments.save(artifact, deployments.artifact_path("ethereum", "devnet"))
    shop.pay(shop.invoice(UNIT), UNIT)
    shop.anvil.mine(2)

    result = run("track", "--rpc", shop.anvil.url, "--network", "ethereum:devnet:node")
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert "records chain id 1337" in line and "node has chain id 31337" in line
    with Session(engine) as session:
        assert session.scalars(select(TrackerCursor)).all() == []
