"""The oracle and the `coinpos mining` commands against a real GeoRewards on the local chain."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from coinpos import deployments
from coinpos.db.engine import make_engine
from coinpos.db.migrate import upgrade
from coinpos.db.models.mining import MiningCampaign
from coinpos.mining.chain import read_campaign, rewards_of, submit_claim
from coinpos.mining.cli import mining
from coinpos.mining.fixes import ClaimRequest, Fix
from coinpos.mining.geo import destination_e6
from coinpos.mining.oracle import ClaimOracle
from coinpos.mining.signing import ApeAccountSigner, LocalKeySigner
from tests.contracts.geo.conftest import ACTION, CENTRE, REWARD, Mode

NETWORK = "ethereum:local:foundry"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(f"sqlite:///{tmp_path / 'oracle.db'}")
    upgrade(eng)
    return eng


@pytest.fixture
def artifacts(tmp_path: Path, chain: Any, geo: Any) -> Path:
    folder = tmp_path / "deployments"
    deployment = deployments.Deployment("ethereum", "local", chain.chain_id)
    deployment.contracts["GeoRewards"] = deployments.DeployedContract(
        geo.address, chain.blocks.head.number, "0x" + "00" * 32
    )
    deployments.save(deployment, deployments.artifact_path("ethereum", "local", folder))
    return folder


def _wall() -> int:
    return int(time.time())


class Clock:
    """The oracle's time source, moved along the walk."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _walk(oracle: ClaimOracle, clock: Clock, account: str) -> Fix:
    """Fixes a minute apart at walking speed into the place, each recorded as it arrives;
    returns the last one, at the centre, which arrives when the clock reads its start."""
    end = clock.now
    for i in range(4, 0, -1):
        clock.now = end - 60 * i
        fix = Fix(*destination_e6(*CENTRE, 200.0, 80 * i), 6.0, clock.now)
        assert oracle.record_fix(account, fix) is None
    clock.now = end
    return Fix(*CENTRE, 6.0, end)


def test_oracle_approval__is_accepted_by_the_contract(
    chain: Any, geo: Any, emoney: Any, oracle: Any, customer: Any, relayer: Any,
    create_campaign: Callable[..., int], engine: Engine,
) -> None:  # fmt: skip
    now = max(_wall(), chain.pending_timestamp)
    campaign_id = create_campaign(start=now - 3600, end=now + 86_400)
    clock = Clock(now)
    service = ClaimOracle(
        engine, chain_id=chain.chain_id, contract=geo.address,
        signer=LocalKeySigner(oracle.private_key), clock=clock,
    )  # fmt: skip
    service.register_campaign(read_campaign(geo, campaign_id).terms(max_accuracy_m=20.0))
    last = _walk(service, clock, customer.address)
    decision = service.check_claim(ClaimRequest(campaign_id, customer.address, ACTION, last))
    assert decision.approved, decision.detail

    tx_hash = submit_claim(geo, service.signed_claim(decision), relayer)
    assert emoney.balanceOf(customer) == REWARD
    [paid] = rewards_of(geo, customer.address)
    assert (paid.campaign_id, paid.amount, paid.tx_hash) == (campaign_id, REWARD, tx_hash)


def test_oracle_signing_with_an_ape_account__is_accepted_by_the_contract(
    chain: Any, geo: Any, emoney: Any, oracle: Any, other_customer: Any,
    create_campaign: Callable[..., int], engine: Engine,
) -> None:  # fmt: skip
    now = max(_wall(), chain.pending_timestamp)
    campaign_id = create_campaign(start=now - 3600, end=now + 86_400)
    clock = Clock(now)
    service = ClaimOracle(
        engine, chain_id=chain.chain_id, contract=geo.address,
        signer=ApeAccountSigner(oracle), clock=clock,
    )  # fmt: skip
    service.register_campaign(read_campaign(geo, campaign_id).terms(max_accuracy_m=20.0))
    fix = Fix(*CENTRE, 4.0, now)
    decision = service.check_claim(ClaimRequest(campaign_id, other_customer.address, ACTION, fix))
    assert decision.signer == oracle.address
    submit_claim(geo, service.signed_claim(decision), other_customer)
    assert emoney.balanceOf(other_customer) == REWARD


def _run(args: list[str], env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(mining, args, env=env, catch_exceptions=False)


def _action_names(db: str) -> list[str | None]:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(select(MiningCampaign.action_name)))
    finally:
        engine.dispose()


def test_cli__create_list_check_submit_rewards(
    chain: Any, geo: Any, emoney: Any, oracle: Any, customer: Any, funded_manager: Any,
    artifacts: Path, tmp_path: Path,
) -> None:  # fmt: skip
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    common = ["--network", NETWORK, "--deployments", str(artifacts)]
    start = min(_wall(), chain.pending_timestamp) - 60
    created = _run([
        "create-campaign", *common, "--db", db, "--account", "TEST::8",
        "--token", emoney.address, "--lat", "37.566535", "--lon", "126.977969",
        "--radius", "100", "--action", "scan-the-poster", "--reward", str(REWARD),
        "--mode", "first-come", "--max-claims", "1", "--start", str(start),
        "--duration", "30d", "--budget", str(10 * REWARD),
    ])  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "campaign 1 created with budget 5000" in created.output
    assert geo.campaign(1).mode == Mode.FIRST_COME
    assert _action_names(db) == ["scan-the-poster"]

    topped = _run(["top-up", *common, "1", str(REWARD), "--account", "TEST::8"])
    assert "campaign 1 budget is now 5500" in topped.output

    listed = _run(["campaigns", *common, "--json"])
    [row] = json.loads(listed.output)
    assert (row["budget"], row["claims"], row["mode"], row["max_claims"]) == (
        11 * REWARD, 0, "first_come", 1,
    )  # fmt: skip
    table = _run(["campaigns", *common], {"COLUMNS": "200"})
    assert "5500" in table.output and "first-come ≤1" in table.output

    fix = tmp_path / "fix.json"
    fix.write_text(json.dumps({
        "campaign_id": 1, "recipient": customer.address, "action_id": "0x" + ACTION.hex(),
        "lat": "37.566600", "lon": "126.978000", "accuracy_m": 7.5, "timestamp": _wall(),
    }))  # fmt: skip
    signed = tmp_path / "signed.json"
    env = {"COINPOS_ORACLE_KEY": oracle.private_key}
    checked = _run(["check-claim", *common, "--db", db, str(fix), "--out", str(signed)], env)
    assert checked.exit_code == 0, checked.output
    assert json.loads(signed.read_text())["signer"] == oracle.address

    submitted = _run(["submit-claim", *common, "--db", db, str(signed), "--account", "TEST::9"])
    assert submitted.exit_code == 0, submitted.output
    assert emoney.balanceOf(customer) == REWARD
    replayed = _run(["submit-claim", *common, "--db", db, str(signed), "--account", "TEST::9"])
    assert replayed.exit_code == 2
    assert "claim reverted" in replayed.output and "GeoRewardsAlreadyClaimed" in replayed.output
    assert emoney.balanceOf(customer) == REWARD

    shown = _run(["rewards", *common, "--db", db, customer.address, "--json"])
    report = json.loads(shown.output)
    assert [(p["campaign_id"], p["amount"]) for p in report["paid"]] == [(1, REWARD)]
    assert [c["status"] for c in report["claims"]] == ["submitted"]

    again = _run(["check-claim", *common, "--db", db, str(fix)], env)
    assert again.exit_code == 1
    assert "rejected: repeat_claim" in again.output


def test_cli__check_claim_teleport__rejected_with_reason(
    chain: Any, geo: Any, emoney: Any, oracle: Any, customer: Any, funded_manager: Any,
    artifacts: Path, tmp_path: Path, create_campaign: Callable[..., int],
) -> None:  # fmt: skip
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    common = ["--network", NETWORK, "--deployments", str(artifacts)]
    now = _wall()
    create_campaign(start=min(now, chain.pending_timestamp) - 60, end=now + 30 * 86_400)
    misnamed = _run(["register-campaign", *common, "--db", db, "1", "--action-name", "visit"])
    assert misnamed.exit_code == 2 and "'visit' does not hash" in misnamed.output
    assert _action_names(db) == []
    assert _run(["register-campaign", *common, "--db", db, "1"]).exit_code == 0
    assert _action_names(db) == [None]
    named = ["register-campaign", *common, "--db", db, "1", "--action-name", "scan-the-poster"]
    assert _run(named).exit_code == 0
    assert _action_names(db) == ["scan-the-poster"]
    env = {"COINPOS_ORACLE_KEY": oracle.private_key}
    busan = {"lat": 35.179554, "lon": 129.075642, "timestamp": now - 100}
    seoul = {"lat": 37.566535, "lon": 126.977969, "timestamp": now}
    outputs = []
    for place in (busan, seoul):
        fix = tmp_path / "fix.json"
        fix.write_text(json.dumps({
            "campaign_id": 1, "recipient": customer.address, "action_id": "0x" + ACTION.hex(),
            "accuracy_m": 5, **place,
        }))  # fmt: skip
        outputs.append(_run(["check-claim", *common, "--db", db, str(fix)], env))
    assert "rejected: outside_place" in outputs[0].output
    assert outputs[1].exit_code == 1
    assert "rejected: impossible_speed" in outputs[1].output
