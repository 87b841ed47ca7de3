"""The demo's output folder: only the QR images of the demo database's invoices stay.

Every run starts a fresh database, so the images of earlier runs (and of invoices made
elsewhere) would pile up in `out/invoices/` beside files no invoice names any more.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from coinpos.db.models import Invoice


def prune_invoice_files(engine: Engine, folder: Path) -> list[Path]:
    """Deletes the files in `folder` that no invoice in the database names; returns them."""
    if not folder.is_dir():
        return []
    with Session(engine) as session:
        named = {
            Path(path).resolve()
            for row in session.execute(select(Invoice.qr_png_path, Invoice.qr_svg_path))
            for path in row
            if path
        }
    removed = []
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and entry.resolve() not in named:
            entry.unlink()
            removed.append(entry)
    return removed
