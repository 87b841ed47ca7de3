"""The demo's output folder keeps only the QR files of invoices in its database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from coinpos.chainops.keys import LocalKey
from coinpos.demo.outputs import prune_invoice_files
from coinpos.invoices.service import Issuer, NewInvoice, issue_invoice
from coinpos.invoices.terms import EscrowDomain
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.factories import make_coin, make_store


def test_prune__removes_files_of_no_invoice__keeps_the_invoices_images(
    engine: Engine, tmp_path: Path
) -> None:
    store = make_store(engine, fiat="USD")
    make_coin(engine, "CPW", 2)
    folder = tmp_path / "out" / "invoices"
    issuer = Issuer(
        EscrowDomain(31337, "0x" + "22" * 20), bytes.fromhex("6000"), LocalKey("0x" + "42" * 32),
        folder,
    )  # fmt: skip
    with UnitOfWork(engine) as uow:
        invoice = issue_invoice(uow, NewInvoice(store.store_id, "CPW", amount=125), issuer)
        kept = {Path(invoice.qr_png_path or ""), Path(invoice.qr_svg_path or "")}
    stale = [folder / f"0x{'ab' * 32}.png", folder / f"0x{'ab' * 32}.svg", folder / "notes.txt"]
    for path in stale:
        path.write_text("from an earlier run")
    (folder / "subfolder").mkdir()

    removed = prune_invoice_files(engine, folder)

    assert sorted(removed) == sorted(stale)
    assert {p for p in folder.iterdir() if p.is_file()} == kept
    assert (folder / "subfolder").is_dir()  # only files are the demo's to clear


def test_prune__missing_folder__nothing_to_do(engine: Engine, tmp_path: Path) -> None:
    assert prune_invoice_files(engine, tmp_path / "absent") == []
    assert not (tmp_path / "absent").exists()
