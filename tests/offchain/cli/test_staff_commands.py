"""The staff's everyday commands end to end on a real SQLite file: invoices list and watch,
the catalogue, store and terminal activation, customer edits, payouts mark-paid, tables at
80 columns, and one line on stderr, exit code 2 and nothing written for every bad input."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from coinpos.catalogue.service import add_priced_item
from coinpos.chainops.keys import LocalKey
from coinpos.cli import cli
from coinpos.cli_support import emit
from coinpos.customers.service import NewCustomer, register
from coinpos.db.models import CustomerType, Invoice, InvoiceStatus
from coinpos.invoices.service import CartLine, Issuer, NewInvoice, issue_invoice
from coinpos.invoices.terms import EscrowDomain
from coinpos.rates.service import set_rate
from coinpos.settlement.payouts import mark_paid
from coinpos.settlement.service import SettlementRequest, request_settlement
from coinpos.stores.service import add_terminal, short_store_ids
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.factories import confirmed_capture, make_coin, make_store

NOW = datetime.now(UTC)
LONG_LOGIN = "kim.minji-gangnam-branch-2026"


@dataclass
class Seeded:
    cafe: str
    books: str
    invoices: list[int]
    payouts: list[int]


def _issuer(tmp_path: Path) -> Issuer:
    key = LocalKey("0x" + "42" * 32)
    return Issuer(EscrowDomain(31337, "0x" + "22" * 20), bytes.fromhex("6000"), key, tmp_path)


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    """Two stores, a terminal, an item, a customer, three invoices and two payouts (one paid)."""
    cafe = make_store(engine, "Gangnam Cafe").store_id
    books = make_store(engine, "Busan Books").store_id
    coin = make_coin(engine, "CPW", 2)
    with UnitOfWork(engine) as uow:
        add_terminal(uow, cafe, "POS-1", "Front counter")
    with UnitOfWork(engine) as uow:
        add_priced_item(uow, cafe, "LATTE", "Latte", "CPW", Decimal("4.50"), 10)
    with UnitOfWork(engine) as uow:
        details = NewCustomer(
            login_id=LONG_LOGIN, name="Kim Minji", customer_type=CustomerType.INDIVIDUAL,
            language="ko", country_code="KR", email="minji.kim@gangnam-branch.example.com",
            phone="+82 10 1234 5678",
        )  # fmt: skip
        register(uow, details, "correct horse battery")
    issuer = _issuer(tmp_path / "qr")
    invoices = []
    for store, terminal, cart in [
        (cafe, "POS-1", (CartLine("LATTE", 2),)),
        (cafe, None, ()),
        (books, None, ()),
    ]:
        with UnitOfWork(engine) as uow:
            request = NewInvoice(
                store_id=store, coin="CPW", amount=None if cart else 1250, cart=cart,
                terminal=terminal,
            )  # fmt: skip
            invoices.append(issue_invoice(uow, request, issuer).id)
    with UnitOfWork(engine) as uow:
        set_rate(uow, "CPW", "KRW", Decimal("1000"), NOW - timedelta(minutes=1), now=NOW)
    # The invoices' fee is the store's 1 %: 101.02 captured credits the cafe 100.01.
    confirmed_capture(engine, cafe, coin.id, 101_02, invoice_id=invoices[-2])
    payouts = []
    for key in ("first", "second"):
        with UnitOfWork(engine) as uow:
            settlement = request_settlement(
                uow, SettlementRequest(cafe, "CPW", key, 10_00, 0), now=NOW
            )
            payouts.append(settlement.id)
    with UnitOfWork(engine) as uow:
        mark_paid(uow, payouts[1], "HANA-0001")
    return Seeded(cafe, books, invoices, payouts)


@pytest.fixture
def run(db_url: str) -> Any:
    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner(mix_stderr=False, env=env)
        return runner.invoke(cli, ["--db", db_url, *args])

    return invoke


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output + result.stderr
    return result


def _json(result: Result) -> Any:
    return json.loads(_ok(result).stdout)


def _dump(db_url: str) -> list[str]:
    path = make_url(db_url).database
    assert path is not None
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


@pytest.mark.postgres
def test_invoices_list__filters_and_json(run: Any, seeded: Seeded) -> None:
    first, second, third = seeded.invoices
    everything = _json(run("invoices", "list", "--json"))
    assert [row["id"] for row in everything] == [third, second, first]
    assert everything[2]["store_id"] == seeded.cafe
    assert (everything[2]["terminal"], everything[2]["amount"]) == ("POS-1", "9.00")
    by_name = _json(run("invoices", "list", "--store", "Gangnam Cafe", "--json"))
    assert [row["id"] for row in by_name] == [second, first]
    by_prefix = _json(run("invoices", "list", "--store", seeded.books[:10], "--json"))
    assert [row["id"] for row in by_prefix] == [third]
    at_till = run("invoices", "list", "--store", "Gangnam Cafe", "--terminal", "POS-1", "--json")
    assert [row["id"] for row in _json(at_till)] == [first]
    assert _json(run("invoices", "list", "--status", "processing", "--json")) == []
    today = f"{NOW:%Y-%m-%d}"
    assert len(_json(run("invoices", "list", "--since", today, "--json"))) == 3
    tomorrow = (NOW + timedelta(days=1)).isoformat()
    assert _json(run("invoices", "list", "--since", tomorrow, "--json")) == []


@pytest.mark.postgres
def test_invoices_show_watch__follows_a_running_process_to_settled(
    db_url: str, engine: Engine, seeded: Seeded
) -> None:
    invoice_id = seeded.invoices[1]

    def change(status: InvoiceStatus, paid: int) -> None:
        with UnitOfWork(engine) as uow:
            invoice = uow.session.get(Invoice, invoice_id)
            assert invoice is not None
            invoice.status, invoice.amount_paid = status, paid
            uow.commit()

    command = "from coinpos.cli import main; main()"
    args = ["--db", db_url, "invoices", "show", str(invoice_id), "--watch", "--interval", "0.1"]
    watcher = subprocess.Popen(
        [sys.executable, "-c", command, *args, "--timeout", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert watcher.stdout is not None
    lines = [watcher.stdout.readline()]
    change(InvoiceStatus.PROCESSING, 1250)
    lines.append(watcher.stdout.readline())
    change(InvoiceStatus.SETTLED, 1250)
    lines.append(watcher.stdout.readline())
    rest, errors = watcher.communicate(timeout=60)
    assert (watcher.returncode, rest, errors) == (0, "", "")
    assert [line.split()[2:5] for line in lines] == [
        ["invoice", str(invoice_id), "New"],
        ["invoice", str(invoice_id), "Processing"],
        ["invoice", str(invoice_id), "Settled"],
    ]
    assert lines[2].rstrip().endswith("paid 12.50 CPW of 12.50 CPW")


def test_invoices_show_watch__timeout__exit_1_one_line_on_stderr(run: Any, seeded: Seeded) -> None:
    invoice = str(seeded.invoices[0])
    result = run("invoices", "show", invoice, "--watch", "--interval", "0.1", "--timeout", "0.3")
    assert result.exit_code == 1
    assert (
        len(result.stdout.splitlines()) == 1 and " New paid 0.00 CPW of 9.00 CPW" in result.stdout
    )
    assert result.stderr.splitlines() == [f"timeout: invoice {invoice} is still New after 0.3 s"]


@pytest.mark.postgres
def test_catalogue__add_update_remove_list(run: Any, seeded: Seeded) -> None:
    _ok(run("catalogue", "add", "Gangnam Cafe", "TEA", "--name", "Tea", "--price", "3",
            "--coin", "CPW", "--stock", "5"))  # fmt: skip
    updated = _json(run("catalogue", "update", seeded.cafe[:10], "TEA", "--price", "3.25",
                        "--add-stock", "2", "--json"))  # fmt: skip
    assert (updated["price"], updated["price_base_units"], updated["stock"]) == ("3.25", 325, 7)
    listed = _json(run("catalogue", "list", "Gangnam Cafe", "--json"))
    assert [(i["sku"], i["price"], i["stock"]) for i in listed] == [
        ("LATTE", "4.50", 8),
        ("TEA", "3.25", 7),
    ]
    # LATTE is on an invoice: kept, marked removed; TEA never sold: deleted.
    assert (
        "kept, marked removed: 1 invoice lines"
        in _ok(run("catalogue", "remove", "Gangnam Cafe", "LATTE")).stdout
    )
    assert "deleted" in _ok(run("catalogue", "remove", "Gangnam Cafe", "TEA")).stdout
    assert _json(run("catalogue", "list", "Gangnam Cafe", "--json")) == []
    kept = _json(run("catalogue", "list", "Gangnam Cafe", "--all", "--json"))
    assert [i["sku"] for i in kept] == ["LATTE"] and kept[0]["removed_at"] is not None
    shown = _json(run("invoices", "show", str(seeded.invoices[0]), "--json"))
    assert shown["items"] == "LATTE x2"


@pytest.mark.postgres
def test_stores_and_terminals__deactivate_reactivate__lists_show_the_state(
    run: Any, seeded: Seeded
) -> None:
    assert "deactivated" in _ok(run("stores", "deactivate", "Busan Books")).stdout
    _ok(run("terminals", "deactivate", "Gangnam Cafe", "POS-1"))
    stores = {s["name"]: s["active"] for s in _json(run("stores", "list", "--json"))}
    assert stores == {"Busan Books": False, "Gangnam Cafe": True}
    terminals = _json(run("terminals", "list", "Gangnam Cafe", "--json"))
    assert [(t["code"], t["active"]) for t in terminals] == [("POS-1", False)]
    # History stays: the inactive store's invoice is still listed.
    assert len(_json(run("invoices", "list", "--store", "Busan Books", "--json"))) == 1
    _ok(run("stores", "reactivate", seeded.books))
    _ok(run("terminals", "reactivate", "Gangnam Cafe", "POS-1"))
    assert all(s["active"] for s in _json(run("stores", "list", "--json")))


def test_customers_update_and_set_password(run: Any, seeded: Seeded) -> None:
    updated = _json(run("customers", "update", LONG_LOGIN, "--email", "minji@example.com",
                        "--language", "en-US", "--clear", "phone", "--json"))  # fmt: skip
    assert (updated["email"], updated["language"], updated["phone"]) == (
        "minji@example.com",
        "en-US",
        None,
    )
    assert "password_hash" not in updated
    _ok(run("customers", "set-password", LONG_LOGIN, "--password", "a brand new secret"))
    check = run("customers", "login-check", LONG_LOGIN, "--password", "a brand new secret")
    assert _ok(check).stdout.strip() == "login accepted"


@pytest.mark.postgres
def test_payouts_mark_paid__exported_then_paid(run: Any, seeded: Seeded, tmp_path: Path) -> None:
    first, paid = seeded.payouts
    _ok(run("payouts", "export", "-o", str(tmp_path / "payouts.csv")))
    row = _json(run("payouts", "mark-paid", str(first), "--reference", "HANA-0002", "--json"))
    assert (row["status"], row["bank_reference"]) == ("paid", "HANA-0002")
    assert row["paid_at"] is not None
    listed = _json(run("payouts", "list", "--status", "paid", "--json"))
    assert sorted(p["id"] for p in listed) == sorted([first, paid])


BAD_INPUT = [
    (["invoices", "list", "--since", "yesterday"], "ISO 8601"),
    (["invoices", "list", "--status", "Paid"], "'Paid' is not one of"),
    (["invoices", "list", "--terminal", "POS-1"], "needs its store"),
    (["invoices", "list", "--store", "0x12"], "too short"),
    (["invoices", "list", "--store", "Nowhere"], "no store named 'Nowhere'"),
    (["invoices", "list", "--store", "Gangnam Cafe", "--terminal", "POS-9"], "no terminal"),
    (["invoices", "list", "--limit", "0"], "--limit"),
    (["invoices", "show", "1", "--watch", "--json"], "no --json"),
    (["invoices", "show", "1", "--watch", "--interval", "0"], "--interval"),
    (["invoices", "show", "42", "--watch"], "no invoice 42"),
    (["catalogue", "add", "Gangnam Cafe", "TEA", "--name", "Tea", "--price", "1.234",
      "--coin", "CPW"], "more than 2 decimal places"),
    (["catalogue", "add", "Gangnam Cafe", "TEA", "--name", "Tea", "--price", "-1",
      "--coin", "CPW"], "is negative"),
    (["catalogue", "add", "Gangnam Cafe", "TEA", "--name", "Tea", "--price", "0",
      "--coin", "CPW"], "must be a positive"),
    (["catalogue", "add", "Gangnam Cafe", "TEA", "--name", "Tea", "--price", "1",
      "--coin", "CPW", "--stock", "-1"], "--stock"),
    (["catalogue", "add", "Gangnam Cafe", "LATTE", "--name", "Latte", "--price", "1",
      "--coin", "CPW"], "already has an item 'LATTE'"),
    (["catalogue", "add", "Gangnam Cafe", "TEA CUP", "--name", "Tea", "--price", "1",
      "--coin", "CPW"], "sku 'TEA CUP'"),
    (["catalogue", "add", "Gangnam Cafe", "TEA", "--name", "Tea", "--price", "1",
      "--coin", "DOGE"], "no coin DOGE"),
    (["catalogue", "update", "Gangnam Cafe", "LATTE"], "nothing to change"),
    (["catalogue", "update", "Gangnam Cafe", "MOCHA", "--stock", "1"], "no item 'MOCHA'"),
    (["catalogue", "update", "Gangnam Cafe", "LATTE", "--stock", "1", "--add-stock", "1"],
     "not both"),
    (["catalogue", "update", "Gangnam Cafe", "LATTE", "--name", "Big", "--price", "0"],
     "more than zero"),
    (["catalogue", "remove", "Gangnam Cafe", "MOCHA"], "no item 'MOCHA'"),
    (["catalogue", "list", "Nowhere"], "no store named"),
    (["stores", "deactivate", "0x" + "ab" * 33], "more than 64 hex digits"),
    (["stores", "reactivate", "Gangnam Cafe"], "already active"),
    (["stores", "show", ""], "must not be empty"),
    (["terminals", "deactivate", "Gangnam Cafe", "POS-9"], "no terminal 'POS-9'"),
    (["terminals", "reactivate", "Gangnam Cafe", "POS-1"], "already active"),
    (["customers", "update", LONG_LOGIN], "nothing to change"),
    (["customers", "update", LONG_LOGIN, "--email", "bad"], "is not an address"),
    (["customers", "update", LONG_LOGIN, "--name", "Kim", "--country", "Korea"], "country code"),
    (["customers", "update", "nobody", "--email", "a@b.co"], "no customer"),
    (["customers", "update", LONG_LOGIN, "--lat", "91", "--lon", "0"], "beyond ±90°"),
    (["customers", "update", LONG_LOGIN, "--clear", "name"], "--clear"),
    (["customers", "update", LONG_LOGIN, "--email", "a@b.co", "--clear", "email"],
     "given and cleared"),
    (["customers", "set-password", LONG_LOGIN, "--password", "short"], "at least"),
    (["customers", "set-password", "nobody", "--password", "long enough pass"], "no customer"),
    (["payouts", "mark-paid", "0"], "PAYOUT_ID"),
    (["payouts", "mark-paid", "x"], "PAYOUT_ID"),
    (["payouts", "mark-paid", "99"], "no payout 99"),
    (["payouts", "mark-paid", "PAID"], "already paid"),
    (["payouts", "mark-paid", "FIRST", "--reference", "  "], "must not be empty"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_new_commands__bad_input__one_line_exit_2_nothing_written(
    run: Any,
    db_url: str,
    seeded: Seeded,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    ids = {"PAID": str(seeded.payouts[1]), "FIRST": str(seeded.payouts[0])}
    args = [ids.get(arg, arg) for arg in args]
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    before = _dump(db_url)
    result = run(*args)
    assert result.exit_code == 2, result.output + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert _dump(db_url) == before
    assert list(workdir.iterdir()) == []


LIST_COMMANDS = [
    ["stores", "list"],
    ["terminals", "list", "Gangnam Cafe"],
    ["coins", "list"],
    ["customers", "list"],
    ["catalogue", "list", "Gangnam Cafe", "--all"],
    ["invoices", "list"],
    ["payouts", "list"],
    ["reports", "sales", "Gangnam Cafe"],
]


def _rendered(run: Any) -> dict[str, str]:
    env = {"COLUMNS": "80", "TERM": "dumb"}
    return {" ".join(args): _ok(run(*args, env=env)).stdout for args in LIST_COMMANDS}


def test_list_tables__at_80_columns__fit_and_print_every_id_whole(
    run: Any, engine: Engine, seeded: Seeded
) -> None:
    rendered = _rendered(run)
    for command, text in rendered.items():
        assert max(len(line) for line in text.splitlines()) <= 80, command
    with UnitOfWork(engine) as uow:
        short = short_store_ids(uow)
    for store_id in (seeded.cafe, seeded.books):
        assert short[store_id] in rendered["stores list"]
        # The id as printed selects the store in every command that takes one.
        shown = _json(run("stores", "show", short[store_id], "--json"))
        assert shown["store_id"] == store_id
    assert short[seeded.cafe] in rendered["invoices list"]
    assert short[seeded.cafe] in rendered["payouts list"]
    assert LONG_LOGIN in rendered["customers list"]
    assert "POS-1" in rendered["terminals list Gangnam Cafe"]
    assert "0x" + "11" * 20 in rendered["coins list"]
    assert "LATTE" in rendered["catalogue list Gangnam Cafe --all"]
    for invoice in seeded.invoices:
        assert f"│ {invoice} " in rendered["invoices list"]
    for payout in seeded.payouts:
        assert f"│ {payout} " in rendered["payouts list"]
    sales = rendered["reports sales Gangnam Cafe"]
    sold = _json(run("reports", "sales", "Gangnam Cafe", "--json"))["sales"]
    assert sold
    for sale in sold:
        assert f"│ {sale['invoice_id']} " in sales


def test_list_tables__positive_control__every_column_at_80_cuts_the_login_id(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above finds a cut id: the old customers table (every field) cuts it."""
    monkeypatch.setenv("COLUMNS", "80")
    row = {
        "login_id": LONG_LOGIN, "name": "Kim Minji", "type": "individual", "language": "ko",
        "country": "KR", "phone": "+82 10 1234 5678", "email": "minji@example.com",
        "device": "android", "subscribed_on": "2026-01-02", "bank": "Hana Bank",
        "account_number": "123-456-789", "group": "Gangnam", "active": True,
    }  # fmt: skip
    emit([row], False, "customers")
    assert LONG_LOGIN not in capsys.readouterr().out
    emit([row], False, "customers", columns=("login_id", "name", "email"), whole={"login_id"})
    assert LONG_LOGIN in capsys.readouterr().out


def test_show__one_record__long_ids_on_one_line(run: Any, seeded: Seeded) -> None:
    text = _ok(run("stores", "show", "Gangnam Cafe", env={"COLUMNS": "80"})).stdout
    assert any(line.split() == ["store_id", seeded.cafe] for line in text.splitlines())


def test_list_tables__brackets_in_a_name__are_printed_not_read_as_markup(
    run: Any, engine: Engine
) -> None:
    _ok(run("stores", "create", "Cafe [Seoul] [bold]", "--fiat", "KRW"))
    assert "Cafe [Seoul] [bold]" in _ok(run("stores", "list")).stdout
