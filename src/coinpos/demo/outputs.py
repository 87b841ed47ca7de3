"""The demo's output folder: only the QR images of the demo database's invoices stay.

Every run starts a fresh database, so the images of earlier runs (and of invoices made
elsewhere) would pile up in `out/invoices/` beside files no invoice names any more. An
image is named for its invoice's hash (`<hash>.png`, `<hash>.svg`), whether the CLI's
signer drew it or the demo saved it from the server.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from coinpos.db.models import Invoice


def prune_invoice_files(engine: Engine, folder: Path) -> list[Path]:
    """Deletes the files in `folder` not named for an invoice in the database; returns them."""
    if not folder.is_dir():
        return []
    with Session(engine) as session:
        invoices = set(session.scalars(select(Invoice.invoice_hash)))
    removed = []
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and entry.stem not in invoices:
            entry.unlink()
            removed.append(entry)
    return removed
