"""The staff CLI end to end against a real database: thin commands, clear refusals."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select

from coinpos.cli import cli
from coinpos.db.base import Base
from coinpos.db.migrate import MIGRATIONS_DIR
from coinpos.db.models import Customer, ExchangeRate, Settlement
from coinpos.unit_of_work import UnitOfWork

pytestmark = pytest.mark.usefixtures("engine")

TOKEN = "0x" + "11" * 20


@pytest.fixture
def run(db_url: str) -> Any:
    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--db", db_url, *args], input=input)

    return invoke


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def _count(engine: Engine, model: type[Base]) -> int:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def store_id(run: Any) -> str:
    created = _ok(run("stores", "create", "Gangnam Cafe", "--fiat", "KRW", "--json"))
    _ok(run("coins", "add", "CPW", "--chain-id", "31337", "--decimals", "2", "--token", TOKEN))
    _ok(run("rates", "set", "CPW", "KRW", "1000"))
    return str(json.loads(created.output)["store_id"])


@pytest.mark.postgres
def test_customers__register_show_login_check_unregister(run: Any) -> None:
    _ok(
        run(
            "customers", "register", "minji", "--name", "Kim Minji", "--language", "ko",
            "--country", "KR", "--password", "secret pass", "--lat", "37.497942",
            "--lon", "127.027621", "--subscribed-on", "2026-01-02",
        )
    )  # fmt: skip
    shown = json.loads(_ok(run("customers", "show", "minji", "--json")).output)
    assert shown["latitude_e6"] == 37_497_942
    assert shown["subscribed_on"] == "2026-01-02"
    assert run("customers", "login-check", "minji", "--password", "secret pass").exit_code == 0
    refused = run("customers", "login-check", "minji", "--password", "wrong")
    assert (refused.exit_code, refused.output.strip()) == (1, "login refused")
    _ok(run("customers", "unregister", "minji"))
    assert json.loads(_ok(run("customers", "list", "--json")).output) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--subscribed-on", "2026-13-01"], "is not a date"),
        (["--lat", "north", "--lon", "1"], "decimal degrees"),
        (["--lat", "1.1234567", "--lon", "1"], "decimal degrees"),
        (["--country", "Korea"], "country code"),
    ],
)
def test_customers_register__bad_input__one_line_exit_2_nothing_written(
    run: Any, engine: Engine, args: list[str], message: str
) -> None:
    base = ["customers", "register", "minji", "--name", "Kim", "--language", "ko"]
    country = [] if "--country" in args else ["--country", "KR"]
    result = run(*base, *country, *args, "--password", "secret pass")
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert _count(engine, Customer) == 0


def test_customers_add_account__malformed_address__exit_2(run: Any) -> None:
    _ok(
        run(
            "customers", "register", "minji", "--name", "Kim", "--language", "ko",
            "--country", "KR", "--password", "secret pass",
        )
    )  # fmt: skip
    result = run("customers", "add-account", "minji", "0x1234", "MAIN")
    assert result.exit_code == 2
    assert "20-byte hex address" in result.output


def test_stores_and_terminals__create_add_list(run: Any, store_id: str) -> None:
    _ok(run("terminals", "add", store_id, "POS-1", "--label", "Front"))
    listed = json.loads(_ok(run("terminals", "list", store_id, "--json")).output)
    assert listed == [{"code": "POS-1", "label": "Front", "active": True}]
    stores = json.loads(_ok(run("stores", "list", "--json")).output)
    assert [s["store_id"] for s in stores] == [store_id]


def test_unknown_store__one_line_exit_2(run: Any) -> None:
    result = run("terminals", "add", "0x" + "00" * 32, "POS-1", "--label", "Front")
    assert result.exit_code == 2
    assert result.output.strip() == f"error: no store with id 0x{'00' * 32}"


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-5", "is negative"), ("five", "is not a number"), ("0", "more than zero")],
)
def test_settle_request__bad_amount__exit_2_nothing_written(
    run: Any, engine: Engine, store_id: str, amount: str, message: str
) -> None:
    result = run("settle", "request", store_id, "CPW", "--amount", amount, "--key", "k")
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert _count(engine, Settlement) == 0


def test_settle_request__over_settlement__exit_2_nothing_written(
    run: Any, engine: Engine, store_id: str
) -> None:
    result = run("settle", "request", store_id, "CPW", "--amount", "5", "--key", "k")
    assert result.exit_code == 2
    assert "only 0.00 CPW is available" in result.output
    assert _count(engine, Settlement) == 0


@pytest.fixture
def eth(run: Any, engine: Engine) -> None:
    _ok(run("coins", "add", "ETH", "--chain-id", "1", "--decimals", "18"))


@pytest.mark.usefixtures("eth")
def test_rates_import__bad_file__nothing_imported(run: Any, engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("coin,fiat,rate,observed_at\nETH,USD,3000.5,2026-11-23T11:00:00Z\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text() + "ETH,KRW,-1,2026-11-23T11:00:00Z\n")
    result = run("rates", "import", str(bad))
    assert result.exit_code == 2
    assert "line 3" in result.output
    assert _count(engine, ExchangeRate) == 0
    assert "imported 1 rates" in _ok(run("rates", "import", str(good))).output


@pytest.mark.usefixtures("eth")
def test_rates_show__stale__exit_2(run: Any) -> None:
    _ok(run("rates", "set", "ETH", "USD", "3000", "--at", "2020-01-01T00:00:00Z"))
    result = run("rates", "show", "ETH", "USD")
    assert result.exit_code == 2
    assert "stale" in result.output


@pytest.mark.usefixtures("eth")
def test_rates_set__bad_date__exit_2(run: Any, engine: Engine) -> None:
    result = run("rates", "set", "ETH", "USD", "3000", "--at", "yesterday")
    assert result.exit_code == 2
    assert "ISO 8601" in result.output
    assert _count(engine, ExchangeRate) == 0


@pytest.mark.postgres
def test_settle_and_export__end_to_end(
    run: Any, engine: Engine, store_id: str, tmp_path: Path
) -> None:
    from tests.offchain.factories import confirmed_capture

    confirmed_capture(engine, store_id, 1, 12_50)
    settled = _ok(
        run("settle", "request", store_id, "CPW", "--all", "--key", "k", "--fee-bps", "0", "--json")
    )
    row = json.loads(settled.output)
    assert (row["amount"], row["net"], row["status"]) == ("12.50", "12500", "requested")
    repeated = run("settle", "request", store_id, "CPW", "--all", "--key", "k")
    assert repeated.exit_code == 2
    assert "already made" in repeated.output
    out = tmp_path / "payouts.csv"
    assert "exported 1 payouts" in _ok(run("payouts", "export", "-o", str(out))).output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["store_id"], r["amount"], r["fiat"]) for r in rows] == [(store_id, "12500", "KRW")]
    listed = json.loads(_ok(run("payouts", "list", "--json")).output)
    assert [p["status"] for p in listed] == ["exported"]


def test_status__reports_the_schema(run: Any) -> None:
    status = json.loads(_ok(run("status", "--json")).output)
    [head] = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    assert status["schema"] == head
    assert status["pending_payouts"] == 0


def test_status__unmigrated_database__asks_for_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(cli, ["--db", url, "status"])
    assert result.exit_code == 2
    assert "coinpos db upgrade" in result.output
    assert not (tmp_path / "empty.db").exists()
    assert _ok(CliRunner().invoke(cli, ["--db", url, "db", "upgrade"]))
    assert CliRunner().invoke(cli, ["--db", url, "status"]).exit_code == 0


def test_database_url__comes_from_the_environment(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COINPOS_DATABASE_URL", db_url)
    assert _ok(CliRunner().invoke(cli, ["coins", "list", "--json"])).output.strip() == "[]"


def test_importing_the_cli__leaves_the_database_layer_unloaded() -> None:
    probe = "import sys, coinpos.cli; print(sorted({'sqlalchemy', 'rich'} & set(sys.modules)))"
    src = str(Path(__file__).parents[3] / "src")
    loaded = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": src},
    ).stdout.strip()
    assert loaded == "[]"
