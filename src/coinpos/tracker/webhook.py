"""`coinpos notify`: delivers outbox rows to the configured webhook.

Each POST carries the row as JSON and `X-Coinpos-Signature: sha256=<hex>`, the HMAC-SHA256
of the exact body under the shared secret, so the receiver can check it came from us.
`X-Coinpos-Delivery` is the row id: delivery is at least once, and the receiver drops
repeats by it. A failed POST is retried with exponential backoff; after `max_attempts` the
row is marked failed and stays for staff to see.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from coinpos.db.engine import session_factory
from coinpos.db.models import Notification, NotificationStatus
from coinpos.db.types import utcnow
from coinpos.tracker.errors import TrackerError

SIGNATURE_HEADER = "X-Coinpos-Signature"


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str
    max_attempts: int = 8
    backoff: timedelta = timedelta(seconds=30)
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise TrackerError(f"webhook URL {self.url!r} must be http:// or https://")
        if not self.secret:
            raise TrackerError("the webhook secret must not be empty")


@dataclass
class DeliveryResult:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(note: Notification) -> bytes:
    return json.dumps(
        {
            "id": note.id,
            "topic": note.topic,
            "created_at": note.created_at.isoformat(),
            "payload": note.payload,
        },
        sort_keys=True,
    ).encode()


def deliver(
    engine: Engine, webhook: Webhook, now: datetime | None = None, limit: int = 100
) -> DeliveryResult:
    result = DeliveryResult()
    sessions = session_factory(engine)
    now = now or utcnow()
    with sessions() as session:
        ids = list(
            session.scalars(
                select(Notification.id)
                .where(
                    Notification.status == NotificationStatus.PENDING,
                    Notification.next_attempt_at <= now,
                )
                .order_by(Notification.id)
                .limit(limit)
            )
        )
    for note_id in ids:
        with sessions() as session:
            # Another `coinpos notify` may be delivering this row: skip it rather than wait.
            note = session.scalars(
                select(Notification)
                .where(
                    Notification.id == note_id, Notification.status == NotificationStatus.PENDING
                )
                .with_for_update(skip_locked=True)
            ).one_or_none()
            if note is None:
                continue
            error = _post(webhook, note)
            note.attempts += 1
            if error is None:
                note.status = NotificationStatus.DELIVERED
                note.delivered_at = now
                note.last_error = None
                result.delivered += 1
            else:
                note.last_error = error
                if note.attempts >= webhook.max_attempts:
                    note.status = NotificationStatus.FAILED
                    result.failed += 1
                else:
                    note.next_attempt_at = now + webhook.backoff * 2 ** (note.attempts - 1)
                    result.retrying += 1
            session.commit()
    return result


def _post(webhook: Webhook, note: Notification) -> str | None:
    body = body_of(note)
    request = urllib.request.Request(
        webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(webhook.secret, body),
            "X-Coinpos-Delivery": str(note.id),
            "X-Coinpos-Topic": note.topic,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=webhook.timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None if 200 <= status < 300 else f"HTTP {status}"
