"""Settings: coinpos.toml or --config, overridden by the environment, then by flags."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from coinpos.cli import cli
from coinpos.settings import SETTINGS, SettingsError, load

ENV_VARIABLES = [setting.env for setting in SETTINGS]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No COINPOS_* variable from outside, and a working folder of the test's own."""
    for variable in ENV_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner(mix_stderr=False).invoke(cli, list(args), env=env)


def _shown(result: Result) -> dict[str, dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return {row["setting"]: row for row in json.loads(result.stdout)}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load__flag_beats_env_beats_file_beats_default(tmp_path: Path) -> None:
    config = _write(
        tmp_path / "c.toml",
        'database_url = "sqlite:///file.db"\nrpc_url = "http://file"\nwebhook_url = "http://hook"\n',
    )
    settings = load(
        config,
        environ={"COINPOS_DATABASE_URL": "sqlite:///env.db", "COINPOS_RPC_URL": "http://env"},
        flags={"database_url": "sqlite:///flag.db"},
    )

    found = {e.setting.name: (e.value, e.source) for e in settings.effective}
    assert found["database_url"] == ("sqlite:///flag.db", "flag")
    assert found["rpc_url"] == ("http://env", "env")
    assert found["webhook_url"] == ("http://hook", "file")
    assert found["deployments_dir"] == ("deployments", "default")
    assert found["escrow_address"] == (None, "default")


def test_exported__fills_only_what_the_environment_lacks__then_restores_it(
    tmp_path: Path,
) -> None:
    config = _write(tmp_path / "c.toml", 'rpc_url = "http://file"\nwebhook_url = "http://hook"\n')
    environ = {"COINPOS_RPC_URL": "http://env", "COINPOS_WEBHOOK_URL": ""}
    settings = load(config, environ=environ)

    with settings.exported(environ):
        assert environ == {"COINPOS_RPC_URL": "http://env", "COINPOS_WEBHOOK_URL": "http://hook"}
    assert environ == {"COINPOS_RPC_URL": "http://env", "COINPOS_WEBHOOK_URL": ""}


def test_config_show__names_each_source(clean_environment: Path) -> None:
    _write(clean_environment / "coinpos.toml", 'rpc_url = "http://file:8545"\n')

    shown = _shown(
        _invoke(
            "--db", "sqlite:///flag.db", "config", "show", "--json",
            env={"COINPOS_WEBHOOK_URL": "http://env-hook"},
        )
    )  # fmt: skip

    assert shown["database_url"]["value"] == "sqlite:///flag.db"
    assert shown["database_url"]["source"] == "flag"
    assert (shown["rpc_url"]["value"], shown["rpc_url"]["source"]) == ("http://file:8545", "file")
    assert shown["webhook_url"]["source"] == "env"
    assert shown["deployments_dir"]["source"] == "default"
    assert shown["rpc_url"]["env"] == "COINPOS_RPC_URL"


def test_config_show__never_prints_a_secret_or_a_url_password(clean_environment: Path) -> None:
    key = "0x" + "ab" * 32
    config = _write(
        clean_environment / "elsewhere.toml",
        'database_url = "postgresql+psycopg://staff:hunter2@db.example/coinpos"\n'
        'webhook_secret = "whsec_topsecret"\n',
    )

    result = _invoke("--config", str(config), "config", "show", env={"COINPOS_OPERATOR_KEY": key})
    as_json = _invoke(
        "--config", str(config), "config", "show", "--json", env={"COINPOS_OPERATOR_KEY": key}
    )

    for output in (result.output, as_json.output):
        assert "hunter2" not in output and "whsec_topsecret" not in output
        assert key not in output and "ab" * 8 not in output
    shown = _shown(as_json)
    assert shown["database_url"]["value"] == "postgresql+psycopg://staff:***@db.example/coinpos"
    assert shown["operator_key"]["value"] == f"<hidden, {len(key)} characters>"
    assert shown["webhook_secret"]["source"] == "file"
    # Positive control: the same values are in clear where the settings are used.
    assert load(config).value("webhook_secret") == "whsec_topsecret"


def test_database_url_from_the_file__is_used__env_then_flag_override_it(
    clean_environment: Path, tmp_path: Path
) -> None:
    from_file, from_env, from_flag = (tmp_path / f"{name}.db" for name in ("file", "env", "flag"))
    _write(clean_environment / "coinpos.toml", f'database_url = "sqlite:///{from_file}"\n')
    env = {"COINPOS_DATABASE_URL": f"sqlite:///{from_env}"}

    assert _invoke("db", "upgrade").exit_code == 0
    assert from_file.exists() and not from_env.exists()
    assert _invoke("db", "upgrade", env=env).exit_code == 0
    assert from_env.exists() and not from_flag.exists()
    assert _invoke("--db", f"sqlite:///{from_flag}", "db", "upgrade", env=env).exit_code == 0
    assert from_flag.exists()
    # The file's value lives only as long as the command: the environment is as it was.
    assert "COINPOS_DATABASE_URL" not in os.environ


def test_file_value__reaches_code_that_reads_the_environment(
    clean_environment: Path, tmp_path: Path
) -> None:
    artifacts = tmp_path / "artifacts-from-file"
    _write(
        clean_environment / "coinpos.toml",
        f'database_url = "sqlite:///{tmp_path / "x.db"}"\n'
        f'deployments_dir = "{artifacts}"\nrpc_url = "http://127.0.0.1:9"\n',
    )

    # --rpc is required: the file gives it; the artifact is looked for in the file's folder.
    result = _invoke("track", "--network", "ethereum:devnet")
    assert result.exit_code == 2
    assert str(artifacts / "ethereum-devnet.json") in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("database_url = ", "is not valid TOML"),
        ('colour = "blue"\n', "unknown setting 'colour'"),
        ("rpc_url = 8545\n", "rpc_url must be a string, not an integer"),
        ("[database_url]\nurl = 'x'\n", "must be a string, not a table"),
        ('operator_key = "0x' + "11" * 32 + '"\n', "operator_key is not read from a file"),
        ('rpc_url = ""\n', "rpc_url is empty"),
    ],
)
def test_bad_config_file__one_line_exit_2_nothing_created(
    clean_environment: Path, tmp_path: Path, text: str, message: str
) -> None:
    config = _write(tmp_path / "bad.toml", text)
    database = clean_environment / ".coinpos"

    for args in (["--config", str(config), "status"], ["--config", str(config), "config", "show"]):
        result = _invoke(*args)
        assert result.exit_code == 2, result.output
        assert message in result.stderr
        assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert not database.exists()

    (clean_environment / "coinpos.toml").write_text(text)
    found = _invoke("db", "upgrade")
    assert (found.exit_code, len(found.stderr.strip().splitlines())) == (2, 1)
    assert message in found.stderr and not database.exists()


def test_missing_config_file__one_line_exit_2(clean_environment: Path) -> None:
    result = _invoke("--config", "nowhere.toml", "db", "upgrade")

    assert result.exit_code == 2
    assert result.stderr.strip() == "error: config file nowhere.toml does not exist"
    assert not (clean_environment / ".coinpos").exists()


def test_load__a_binary_file__is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_bytes(b"\xff\xfe\x00")

    with pytest.raises(SettingsError, match="not UTF-8"):
        load(config)
