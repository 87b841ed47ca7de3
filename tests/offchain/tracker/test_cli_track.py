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
