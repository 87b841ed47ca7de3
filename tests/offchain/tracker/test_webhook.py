from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from coinpos.db.models import Notification, NotificationStatus
from coinpos.db.types import utcnow
from coinpos.tracker.outbox import notify
from coinpos.tracker.webhook import Webhook, deliver

SECRET = "s3cret"


class Receiver:
    """A real HTTP server on 127.0.0.1 that fails the first `failures` requests."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                ok = len(receiver.received) > receiver.failures
                self.send_response(204 if ok else 503)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=1)
    yield r
    r.server.shutdown()


def _add(engine: Engine, key: str) -> None:
    with Session(engine) as session:
        notify(session, key, "entry_cancelled", {"entry": key, "amount": "10"}, utcnow())
        notify(session, key, "entry_cancelled", {"entry": key, "amount": "10"}, utcnow())
        session.commit()


def _rows(engine: Engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


@pytest.mark.postgres
def test_notify__signs_with_hmac__retries_with_backoff__marks_delivered(
    engine: Engine, receiver: Receiver
) -> None:
    _add(engine, "a")
    hook = Webhook(receiver.url, SECRET, backoff=timedelta(seconds=10))
    now = utcnow()

    first = deliver(engine, hook, now)
    [row] = _rows(engine)
    assert (first.delivered, first.retrying) == (0, 1)
    assert row.status is NotificationStatus.PENDING and row.last_error == "HTTP 503"
    assert deliver(engine, hook, now + timedelta(seconds=5)).delivered == 0  # backing off
    assert deliver(engine, hook, now + timedelta(seconds=11)).delivered == 1
    assert deliver(engine, hook, now + timedelta(hours=1)).delivered == 0  # not sent again

    [row] = _rows(engine)
    assert row.status is NotificationStatus.DELIVERED and row.attempts == 2
    headers, body = receiver.received[-1]
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Coinpos-Signature"] == f"sha256={expected}"
    assert json.loads(body)["payload"] == {"entry": "a", "amount": "10"}
    assert len(receiver.received) == 2


def test_notify__gives_up_after_max_attempts(engine: Engine) -> None:
    _add(engine, "b")
    # Nothing listens on this port: every attempt fails to connect.
    hook = Webhook("http://127.0.0.1:9/", SECRET, max_attempts=2, backoff=timedelta(0), timeout=1)
    assert deliver(engine, hook).retrying == 1
    assert deliver(engine, hook).failed == 1
    [row] = _rows(engine)
    assert row.status is NotificationStatus.FAILED and row.attempts == 2


def test_webhook__refuses_a_non_http_url() -> None:
    from coinpos.tracker.errors import TrackerError

    with pytest.raises(TrackerError, match="must be http"):
        Webhook("ftp://example.com", SECRET)


@pytest.mark.postgres
def test_notify_command__delivers_and_refuses_a_bad_url(
    engine: Engine, db_url: str, receiver: Receiver
) -> None:
    from click.testing import CliRunner

    from coinpos.cli import cli

    _add(engine, "c")
    _add(engine, "d")
    args = ["--db", db_url, "notify", "--secret", SECRET, "--json", "--webhook-url"]
    first = CliRunner().invoke(cli, [*args, receiver.url])
    assert first.exit_code == 0, first.output
    # The receiver fails its first request: one row waits for its retry, the other is in.
    outbox = {k: v for k, v in json.loads(first.output).items() if k.startswith("outbox_")}
    assert outbox == {"outbox_delivered": 1, "outbox_retrying": 1, "outbox_failed": 0}

    bad = CliRunner().invoke(cli, [*args, "ftp://127.0.0.1/"])
    assert bad.exit_code == 2 and "must be http" in bad.output
    assert sorted(r.status for r in _rows(engine)) == ["delivered", "pending"]
