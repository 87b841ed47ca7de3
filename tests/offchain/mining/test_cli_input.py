"""Bad input to `coinpos mining`: a one-line error, exit code 2, and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from coinpos.mining.cli import mining

CAMPAIGN_ARGS = [
    "create-campaign", "--network", "ethereum:local", "--account", "TEST::8",
    "--token", "0x" + "cd" * 20, "--lat", "37.5", "--lon", "127.0", "--radius", "100",
    "--action", "scan", "--reward", "5", "--budget", "100",
]  # fmt: skip


def _replace(args: list[str], option: str, value: str) -> list[str]:
    out = list(args)
    out[out.index(option) + 1] = value
    return out


def _invoke(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> object:
    db = tmp_path / "coinpos.db"
    result = CliRunner().invoke(mining, [*args[:1], "--db", f"sqlite:///{db}", *args[1:]], env=env)
    assert result.exit_code == 2, result.output
    assert not db.exists(), "nothing may be written on bad input"
    lines = [line for line in result.output.splitlines() if line.strip()]
    return lines[-1]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--lat", "91", "outside ±90°"),
        ("--lon", "east", "not a number of degrees"),
        ("--radius", "50001", "50001 is not in the range"),
        ("--token", "0x1234", "is not an address"),
        ("--action", "0x1234", "not a 0x-prefixed bytes32"),
        ("--action", "", "an action name has 1 to 64 characters, not 0"),
        ("--action", "x" * 65, "an action name has 1 to 64 characters, not 65"),
        ("--action", "scan\tit", "is not a line of printable text"),
        ("--reward", "0", "0 is not in the range"),
        ("--budget", "-1", "-1 is not in the range"),
        ("--network", "sepolia", "expected ecosystem:network"),
    ],
)
def test_create_campaign__bad_value__exit_2_nothing_written(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    assert message in str(_invoke(_replace(CAMPAIGN_ARGS, option, value), tmp_path))


def test_create_campaign__first_come_without_cap__exit_2(tmp_path: Path) -> None:
    line = _invoke([*CAMPAIGN_ARGS, "--mode", "first-come"], tmp_path)
    assert "first-come needs --max-claims above 0" in str(line)


def test_create_campaign__bad_duration__exit_2(tmp_path: Path) -> None:
    assert "not a duration" in str(_invoke([*CAMPAIGN_ARGS, "--duration", "soon"], tmp_path))


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "1 to 64 characters, not 0"), ("scan\nit", "not a line of printable text")],
)
def test_register_campaign__unkeepable_action_name__exit_2_nothing_written(
    tmp_path: Path, name: str, message: str
) -> None:
    args = ["register-campaign", "--network", "ethereum:local", "1", "--action-name", name]
    assert message in str(_invoke(args, tmp_path))


def _fix(tmp_path: Path, **fields: object) -> Path:
    raw: dict[str, object] = {
        "campaign_id": 1, "recipient": "0x" + "a1" * 20, "action_id": "0x" + "00" * 32,
        "lat": 37.5, "lon": 127.0, "accuracy_m": 5, "timestamp": 1_800_000_000,
    }  # fmt: skip
    raw.update(fields)
    path = tmp_path / "fix.json"
    path.write_text(json.dumps(raw))
    return path


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"lat": 95.0}, "latitude 95000000 is outside"),
        ({"recipient": "0x12"}, "not an address"),
        ({"timestamp": "yesterday"}, "timestamp must be unix seconds or ISO 8601"),
        ({"timestamp": "2026-11-23T10:00:00"}, "with a zone"),
        ({"accuracy_m": -3}, "accuracy must be a non-negative number"),
        ({"mock": "no"}, "mock must be true or false"),
        ({"campaign_id": 0}, "campaign_id must be a positive integer"),
        ({"action_id": "scan"}, "not a 0x-prefixed bytes32"),
    ],
)
def test_check_claim__malformed_fix__exit_2_nothing_written(
    tmp_path: Path, fields: dict[str, object], message: str
) -> None:
    args = ["check-claim", "--network", "ethereum:local", str(_fix(tmp_path, **fields))]
    assert message in str(_invoke(args, tmp_path, env={"COINPOS_ORACLE_KEY": "0x" + "11" * 32}))


def test_check_claim__not_json__exit_2(tmp_path: Path) -> None:
    path = tmp_path / "fix.json"
    path.write_text("{lat: 1")
    args = ["check-claim", "--network", "ethereum:local", str(path)]
    assert "is not valid JSON" in str(_invoke(args, tmp_path))


def test_check_claim__no_oracle_key__exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COINPOS_ORACLE_KEY", raising=False)
    args = ["check-claim", "--network", "ethereum:local", str(_fix(tmp_path))]
    assert "no oracle key" in str(_invoke(args, tmp_path))


def test_check_claim__bad_oracle_key__exit_2(tmp_path: Path) -> None:
    args = ["check-claim", "--network", "ethereum:local", str(_fix(tmp_path))]
    line = _invoke(args, tmp_path, env={"COINPOS_ORACLE_KEY": "not-a-key"})
    assert "COINPOS_ORACLE_KEY does not hold a valid private key" in str(line)


def test_check_claim__no_deployment_artifact__exit_2(tmp_path: Path) -> None:
    args = [
        "check-claim", "--network", "ethereum:nowhere", "--deployments", str(tmp_path / "none"),
        str(_fix(tmp_path)),
    ]  # fmt: skip
    line = _invoke(args, tmp_path, env={"COINPOS_ORACLE_KEY": "0x" + "11" * 32})
    assert "no deployment artifact" in str(line)


def test_submit_claim__malformed_signed_claim__exit_2(tmp_path: Path) -> None:
    path = tmp_path / "signed.json"
    path.write_text(json.dumps({"attestation": {}}))
    args = ["submit-claim", "--network", "ethereum:local", str(path), "--account", "TEST::1"]
    assert "not a signed claim" in str(_invoke(args, tmp_path))


def test_rewards__bad_address__exit_2(tmp_path: Path) -> None:
    assert "is not an address" in str(
        _invoke(["rewards", "--network", "ethereum:local", "0xnope"], tmp_path)
    )
