"""Streams served by separate `coinpos serve` processes (one with two workers) all see an
event written by another process: everything goes through the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from coinpos.db.models import InvoiceStatus
from coinpos.demo.processes import serving_process
from coinpos.demo.sse import StreamReader
from tests.server.conftest import bearer, store_with_keys
from tests.server.invoices import change_status, make_invoice

# How long a stream may take to close after its final event: as long as reader.next() waits
# for an event, since a loaded CI machine may stall the server that long.
STREAM_END = 10


@pytest.mark.postgres
def test_streams_on_two_servers_and_two_workers__each_gets_the_events(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    keys = store_with_keys(engine)
    invoice = make_invoice(engine, keys.store.store_id)
    with (
        serving_process(db_url, tmp_path / "a.log", workers=2) as a,
        serving_process(db_url, tmp_path / "b.log") as b,
    ):
        readers = [
            StreamReader(
                f"{url}/api/v1/invoices/{invoice.id}/events", bearer(keys.terminal)
            ).start()
            for url in (a, a, a, a, b, b)
        ]
        assert {r.next().data["status"] for r in readers} == {"New"}
        change_status(engine, invoice, InvoiceStatus.PROCESSING)
        assert {r.next().data["status"] for r in readers} == {"Processing"}
        change_status(engine, invoice, InvoiceStatus.SETTLED)
        assert {r.next().data["status"] for r in readers} == {"Settled"}
        assert all(r.ended.wait(STREAM_END) for r in readers)
