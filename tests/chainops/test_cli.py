"""The CLI over a real database and the test chain: invoices, ops, settle and reports.

The chain commands reach ape's test network (`ethereum:local:foundry`, already connected
by `ape test`); the escrow's address comes from an artifact written for the test.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from coinpos import deployments
from coinpos.cli import cli
from coinpos.db.models import Invoice, Settlement, TransactionLogEntry
from coinpos.deployments import DeployedContract, Deployment
from coinpos.invoices.service import terms_of
from coinpos.rates.service import set_rate
from coinpos.stores.service import add_coin
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import CHAIN_ID, Shop

NETWORK = "ethereum:local:foundry"


@pytest.fixture
def run(
    db_url: str,
    escrow: Any,
    operator: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Result]:
    directory = tmp_path / "deployments"
    deployment = Deployment("ethereum", "local", CHAIN_ID)
    deployment.contracts["PaymentEscrow"] = DeployedContract(str(escrow.address), 0, "0x")
    deployments.save(deployment, deployments.artifact_path("ethereum", "local", directory))
    monkeypatch.setenv("COINPOS_DEPLOYMENTS_DIR", str(directory))
    monkeypatch.setenv("COINPOS_OPERATOR_KEY", operator.private_key)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--db", db_url, *args])

    return invoke


def _ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if result.output.lstrip().startswith(("{", "[")) else None


def _count(shop: Shop, model: Any) -> int:
    with UnitOfWork(shop.engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _create(run: Callable[..., Result], shop: Shop, tmp_path: Path, *extra: str) -> Any:
    return _ok(
        run(
            "invoices",
            "create",
            shop.store.store_id,
            "CPW",
            "--amount",
            "123.45",
            "--out",
            str(tmp_path / "qr"),
            "--json",
            *extra,
        )
    )


def test_invoices_create__signed_invoice_matching_the_chain__with_uri_and_qr(
    run: Callable[..., Result], shop: Shop, escrow: Any, tmp_path: Path
) -> None:
    created = _create(run, shop, tmp_path)
    with UnitOfWork(shop.engine) as uow:
        invoice = uow.session.scalars(select(Invoice)).one()
        terms = terms_of(invoice, shop.cpw)
    assert created["amount_base_units"] == 12_345 and created["amount"] == "123.45"
    assert escrow.invoiceHash(terms.abi()).hex() == created["invoice_hash"].removeprefix("0x")
    assert escrow.depositAddress(terms.abi()) == created["deposit_address"]
    assert created["payment_uri"].startswith(f"ethereum:{shop.cpw.address}@31337/transfer?")
    assert Path(created["qr_png"]).parent == tmp_path / "qr" and Path(created["qr_png"]).exists()
    shown = _ok(run("invoices", "show", created["invoice_hash"], "--json"))
    assert shown == created


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "-1"], "negative"),
        (["--amount", "ten"], "not a number"),
        (["--amount", "1", "--payer", "0x1234"], "not a 0x-prefixed 20-byte hex address"),
        (["--amount", "1.234"], "more than 2 decimal places"),
    ],
)
def test_invoices_create__bad_input__one_line_exit_2_nothing_written(
    run: Callable[..., Result], shop: Shop, args: list[str], message: str
) -> None:
    result = run("invoices", "create", shop.store.store_id, "CPW", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert _count(shop, Invoice) == 0


def test_invoices_create__unknown_store__exit_2(run: Callable[..., Result], shop: Shop) -> None:
    result = run("invoices", "create", "0x" + "ab" * 32, "CPW", "--amount", "1")
    assert result.exit_code == 2 and "no store with id" in result.output
    assert _count(shop, Invoice) == 0


def test_invoices_create__deactivated_store__exit_2_no_row_no_qr__by_name_once_reactivated(
    run: Callable[..., Result], shop: Shop, tmp_path: Path
) -> None:
    _ok(run("stores", "deactivate", shop.store.store_id))
    refused = run("invoices", "create", shop.store.name, "CPW", "--amount", "1",
                  "--out", str(tmp_path / "qr"))  # fmt: skip
    assert refused.exit_code == 2 and "deactivated" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert _count(shop, Invoice) == 0 and not (tmp_path / "qr").exists()
    _ok(run("stores", "reactivate", shop.store.name))
    created = _ok(run("invoices", "create", shop.store.name, "CPW", "--amount", "1",
                      "--out", str(tmp_path / "qr"), "--json"))  # fmt: skip
    assert created["store_id"] == shop.store.store_id


def test_ops_capture__twice__one_effect__then_settle_run_and_report(
    run: Callable[..., Result],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    treasury: Any,
    chain: Any,
    tmp_path: Path,
    track: Callable[[], Any],
) -> None:
    created = _create(run, shop, tmp_path)
    with UnitOfWork(shop.engine) as uow:
        invoice = uow.session.scalars(select(Invoice)).one()
        terms = terms_of(invoice, shop.cpw)
        signature = invoice.operator_signature
    escrow.pay(terms.abi(), signature, sender=customer)

    args = ("ops", "capture", created["invoice_hash"], "--network", NETWORK)
    first = _ok(run(*args, "--json"))
    second = _ok(run(*args, "--json"))
    assert first["tx_hash"] == second["tx_hash"] and second["sent_now"].startswith("(nothing")
    assert escrow.pool(funded).captured == 12_345  # gross: no fee on chain

    # The tracker confirms the capture; the ledger credits the store less its 1 % fee.
    chain.mine(2)
    track()
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "CPW", "KRW", Decimal("1000"))
        # The same symbol on another chain: the network, not a prompt, picks the coin.
        add_coin(uow, "CPW", 1337, 2, str(funded.address))
    settle_100 = ("settle", "request", shop.store.store_id, "CPW", "--amount", "100")
    wrong_chain = run(*settle_100, "--key", "s-0", "--chain-id", "1337", "--network", NETWORK)
    assert wrong_chain.exit_code == 2 and len(wrong_chain.output.strip().splitlines()) == 1
    assert "1337 is not the chain id" in wrong_chain.output
    assert _count(shop, Settlement) == 0

    before = funded.balanceOf(treasury)
    requested = _ok(run(*settle_100, "--key", "s-1", "--network", NETWORK, "--json"))
    assert requested["status"] == "requested" and requested["batch"] is None
    assert funded.balanceOf(treasury) == before  # recorded, not sent

    too_much = run(
        "settle", "request", shop.store.store_id, "CPW", "--amount", "50", "--key", "s-2",
        "--chain-id", "31337", "--network", NETWORK,
    )  # fmt: skip
    assert too_much.exit_code == 2 and "22.22" in too_much.output
    assert _count(shop, Settlement) == 1

    [batch] = _ok(run("settle", "send", "--network", NETWORK, "--json"))
    assert (batch["settlements"], batch["stores"], batch["status"]) == (1, 1, "submitted")
    assert (batch["payout_base_units"], batch["fees_base_units"]) == (10_000, 123)
    assert funded.balanceOf(treasury) == before + 10_000
    assert escrow.pool(funded).captured == 12_345 - 10_000 - 123
    assert _ok(run("settle", "send", "--network", NETWORK, "--json")) == []

    report = _ok(run("reports", "sales", shop.store.store_id, "--json"))
    [sale] = report["sales"]
    assert (sale["amount"], sale["fiat_now"], sale["fiat_at_sale"]) == ("123.45", "123450", None)
    out = tmp_path / "sales.csv"
    assert run("reports", "sales", shop.store.store_id, "--csv", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["invoice_hash"], r["fiat_now"]) for r in rows] == [
        (created["invoice_hash"], "123450")
    ]


def test_ops_void__never_paid__one_line_exit_2_nothing_logged(
    run: Callable[..., Result], shop: Shop, tmp_path: Path
) -> None:
    created = _create(run, shop, tmp_path)
    result = run("ops", "void", created["invoice_hash"], "--network", NETWORK, "--json")
    assert result.exit_code == 2, result.output
    assert result.output.strip().endswith("its payment is never paid, not held")
    assert len(result.output.strip().splitlines()) == 1
    assert _count(shop, TransactionLogEntry) == 0


def test_ops_capture_many__two_paid_invoices__one_transaction(
    run: Callable[..., Result], shop: Shop, escrow: Any, funded: Any, customer: Any, tmp_path: Path
) -> None:
    hashes = []
    for _ in range(2):
        created = _create(run, shop, tmp_path)
        with UnitOfWork(shop.engine) as uow:
            invoice = uow.session.scalars(
                select(Invoice).where(Invoice.invoice_hash == created["invoice_hash"])
            ).one()
            terms, signature = terms_of(invoice, shop.cpw), invoice.operator_signature
        escrow.pay(terms.abi(), signature, sender=customer)
        hashes.append(created["invoice_hash"])
    args = ("ops", "capture-many", *hashes, "--key", "batch")
    done = _ok(run(*args, "--network", NETWORK, "--json"))
    assert done["status"] == "pending" and done["tx_hash"]
    assert escrow.pool(funded).captured == 2 * 12_345


def test_ops_refund__bad_amount__exit_2_nothing_logged(
    run: Callable[..., Result], shop: Shop, tmp_path: Path
) -> None:
    created = _create(run, shop, tmp_path)
    for amount in ("-5", "abc", "0"):
        result = run(
            "ops",
            "refund",
            created["invoice_hash"],
            "--amount",
            amount,
            "--key",
            "r",
            "--network",
            NETWORK,
        )
        assert result.exit_code == 2, result.output
    assert _count(shop, TransactionLogEntry) == 0


def test_reports_sales__bad_date__exit_2(run: Callable[..., Result], shop: Shop) -> None:
    result = run("reports", "sales", shop.store.store_id, "--from", "2026-13-01")
    assert result.exit_code == 2 and "is not a date" in result.output


def test_invoices_create__from_items__priced_from_the_catalogue(
    run: Callable[..., Result], shop: Shop, tmp_path: Path
) -> None:
    from coinpos.catalogue.service import add_item

    with UnitOfWork(shop.engine) as uow:
        add_item(uow, shop.store.store_id, "LATTE", "Latte", "CPW", 4_500, 3, CHAIN_ID)
    created = _ok(
        run(
            "invoices",
            "create",
            shop.store.store_id,
            "CPW",
            "--item",
            "LATTE=2",
            "--out",
            str(tmp_path / "qr"),
            "--json",
        )
    )
    assert (created["items"], created["amount"]) == ("LATTE x2", "90.00")
    refused = run("invoices", "create", shop.store.store_id, "CPW", "--item", "LATTE=2")
    assert refused.exit_code == 2 and "has 1 in stock, 2 asked" in refused.output
    assert run("invoices", "create", shop.store.store_id, "CPW", "--item", "LATTE=0").exit_code == 2
    assert _count(shop, Invoice) == 1
