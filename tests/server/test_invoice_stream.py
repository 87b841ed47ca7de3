"""The invoice status stream over real HTTP: replay, live events through the hub (LISTEN on
PostgreSQL, polling on SQLite), resume by Last-Event-ID, the end at a final state, who may
read it, and keep-alives."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import Engine

from coinpos.db.models import InvoiceExceptionStatus, InvoiceStatus
from coinpos.demo.sse import StreamReader
from tests.server.conftest import bearer, store_with_keys
from tests.server.invoices import change_status, make_invoice

# How long a stream may take to close after its final event: as long as reader.next() waits
# for an event, since a loaded CI machine may stall the server that long.
STREAM_END = 10


def _stream(server_url: str, invoice: object, key: str, **headers: str) -> StreamReader:
    url = f"{server_url}/api/v1/invoices/{invoice}/events"
    return StreamReader(url, {**bearer(key), **headers}).start()


@pytest.mark.postgres
def test_stream__replays_then_goes_live__processing_then_settled__then_ends(
    server_url: str, engine: Engine
) -> None:
    keys = store_with_keys(engine)
    invoice = make_invoice(engine, keys.store.store_id)
    reader = _stream(server_url, invoice.id, keys.terminal)
    assert reader.status == 200
    [new] = reader.take(1)
    assert (new.event, new.data["status"], new.data["invoice_id"]) == ("status", "New", invoice.id)
    assert new.retry == 2000

    change_status(engine, invoice, InvoiceStatus.PROCESSING)
    processing = reader.next()
    change_status(engine, invoice, InvoiceStatus.SETTLED, InvoiceExceptionStatus.PAID_OVER)
    settled = reader.next()
    assert processing.data["status"] == "Processing"
    assert (settled.data["status"], settled.data["exception_status"]) == ("Settled", "PaidOver")
    assert int(new.id or 0) < int(processing.id or 0) < int(settled.id or 0)
    assert reader.ended.wait(STREAM_END)  # the stream closes after the final state
    assert reader.events.empty()


@pytest.mark.postgres
def test_stream__resumes_after_last_event_id__replaying_only_what_followed(
    server_url: str, engine: Engine
) -> None:
    keys = store_with_keys(engine)
    invoice = make_invoice(engine, keys.store.store_id)
    first = _stream(server_url, invoice.invoice_hash, keys.manager)
    [new] = first.take(1)
    change_status(engine, invoice, InvoiceStatus.NEW, InvoiceExceptionStatus.PAID_PARTIAL)
    partial = first.next()

    again = _stream(server_url, invoice.id, keys.terminal, **{"Last-Event-ID": new.id or ""})
    assert again.next().id == partial.id  # replayed from the table
    change_status(engine, invoice, InvoiceStatus.EXPIRED, InvoiceExceptionStatus.PAID_PARTIAL)
    assert again.next().data["status"] == "Expired"
    assert first.next().data["status"] == "Expired"
    assert again.ended.wait(STREAM_END) and first.ended.wait(STREAM_END)


def test_stream_of_a_final_invoice__replays_its_history_and_ends(
    server_url: str, engine: Engine
) -> None:
    keys = store_with_keys(engine)
    invoice = make_invoice(engine, keys.store.store_id)
    change_status(engine, invoice, InvoiceStatus.EXPIRED)
    reader = _stream(server_url, invoice.id, keys.terminal)
    assert [e.data["status"] for e in reader.take(2)] == ["New", "Expired"]
    assert reader.ended.wait(STREAM_END)


@pytest.mark.postgres
def test_stream__another_stores_key_or_unknown_invoice_is_404__no_key_401(
    server_url: str, engine: Engine
) -> None:
    mine = store_with_keys(engine)
    other = store_with_keys(engine, "Busan Books")
    invoice = make_invoice(engine, mine.store.store_id)
    url = f"{server_url}/api/v1/invoices/{invoice.id}/events"
    with httpx.Client(timeout=10) as client:
        for key in (other.terminal, other.manager):
            refused = client.get(url, headers=bearer(key))
            assert refused.status_code == 404
            assert refused.headers["content-type"] == "application/problem+json"
            assert str(invoice.invoice_hash) not in refused.text
        assert client.get(url, headers=bearer("cpk_nothing")).status_code == 401
        assert client.get(url).status_code == 401
        for missing in ("999999", "0x" + "ab" * 32, "not-an-invoice"):
            answer = client.get(
                url.replace(f"/{invoice.id}/", f"/{missing}/"), headers=bearer(mine.terminal)
            )
            assert answer.status_code == 404
        bad = client.get(url, headers={**bearer(mine.terminal), "Last-Event-ID": "x1"})
        assert bad.status_code == 422
    # The control: the store's own key reads the stream.
    reader = _stream(server_url, invoice.id, mine.terminal)
    assert reader.next().data["status"] == "New"
    reader.close()


def test_stream__sends_keep_alive_comments_while_nothing_happens(
    server_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fastapi.routing

    monkeypatch.setattr(fastapi.routing, "_PING_INTERVAL", 0.3)
    keys = store_with_keys(engine)
    invoice = make_invoice(engine, keys.store.store_id)
    reader = _stream(server_url, invoice.id, keys.terminal)
    reader.next()
    time.sleep(1.2)
    assert reader.comments.count("ping") >= 2 and not reader.ended.is_set()
    reader.close()


@pytest.mark.postgres
def test_cancel_through_the_api__streams_invalid_under_the_store_path__and_ends(
    server_url: str, engine: Engine
) -> None:
    keys = store_with_keys(engine)
    other = store_with_keys(engine, "Busan Books")
    invoice = make_invoice(engine, keys.store.store_id)
    nested = f"{server_url}/api/v1/stores/{keys.store.store_id}/invoices/{invoice.id}/events"
    foreign = nested.replace(keys.store.store_id, other.store.store_id)
    with httpx.Client(timeout=10) as client:
        assert client.get(nested, headers=bearer(other.terminal)).status_code == 404
        assert client.get(foreign, headers=bearer(other.terminal)).status_code == 404
    reader = StreamReader(nested, bearer(keys.terminal)).start()
    assert reader.next().data["status"] == "New"
    with httpx.Client(base_url=server_url, timeout=10) as client:
        cancelled = client.post(
            f"/api/v1/stores/{keys.store.store_id}/invoices/{invoice.invoice_hash}/cancel",
            headers=bearer(keys.terminal),
        )
    assert cancelled.status_code == 200, cancelled.text
    assert reader.next().data["status"] == "Invalid"
    assert reader.ended.wait(STREAM_END)
