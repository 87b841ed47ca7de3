"""`coinpos notify`: sends pending webhook deliveries, signed, with retries.

A pass claims a batch of due deliveries in one short transaction (a conditional UPDATE that
sets a claim token and a lease; on PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, on
SQLite the single writer makes the UPDATE atomic), commits, POSTs them outside any
transaction, then records each outcome only if the claim is still its own. So several
workers at once never send one delivery twice while their leases hold; a worker killed
between the POST and the record leaves the row to be sent again after the lease (delivery
is at least once: receivers drop repeats by `Coinpos-Event-Id`).

Outcome of a POST: 2xx delivered; 408, 429, 5xx and network errors retried with exponential
backoff (30 s, 1 min, 2 min, … at most 6 h apart) until 3 days after the delivery was
created; any other status failed at once. Redirects are not followed.
"""

from __future__ import annotations

import http.client
import json
import math
import secrets
import socket
import ssl
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, update

from coinpos.db.engine import session_factory
from coinpos.db.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from coinpos.db.types import utcnow
from coinpos.webhooks.destinations import Destination, InvalidWebhookUrlError, resolve
from coinpos.webhooks.signing import SIGNATURE_HEADER, signature_header

RETRIED_STATUSES = frozenset({408, 429})
USER_AGENT = "coinpos-webhooks/1"


@dataclass(frozen=True)
class DeliveryPolicy:
    allow_private: bool = False
    timeout: float = 10.0
    first_backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=6)
    retry_window: timedelta = timedelta(days=3)
    batch: int = 100
    concurrency: int = 8

    @property
    def lease(self) -> timedelta:
        """Long enough for the whole batch to be sent before another worker may take it."""
        rounds = math.ceil(self.batch / self.concurrency) + 1
        return timedelta(seconds=rounds * self.timeout + 30)


@dataclass
class PassResult:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    lost_claims: int = 0


@dataclass(frozen=True)
class _Claimed:
    id: int
    event_id: int
    is_redelivery: bool
    attempts: int
    created_at: datetime
    url: str
    signing_secrets: tuple[str, ...]
    body: bytes
    event_type: str


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        if self.status is None:
            return self.error is not None and not self.error.startswith("refused:")
        return self.status in RETRIED_STATUSES or self.status >= 500


def event_body(event: WebhookEvent) -> bytes:
    """The JSON every delivery of the event carries, byte for byte the same each time."""
    document = {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "store_id": event.store_id,
        "data": event.payload,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def deliver_due(
    engine: Engine,
    policy: DeliveryPolicy,
    now: datetime | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> PassResult:
    """One pass: claim what is due, send it, record the outcomes. A given `now` stands for
    the whole pass (tests move time with it); signatures always carry the real time."""
    result = PassResult()

    def moment() -> datetime:
        return now if now is not None else clock()

    token, claimed = _claim(engine, policy, moment())
    result.claimed = len(claimed)
    if not claimed:
        return result
    with ThreadPoolExecutor(max_workers=policy.concurrency) as pool:
        futures = {pool.submit(_post, c, policy, int(utcnow().timestamp())): c for c in claimed}
        for future in as_completed(futures):
            _record(engine, policy, futures[future], token, future.result(), moment(), result)
    return result


def _claim(engine: Engine, policy: DeliveryPolicy, now: datetime) -> tuple[str, list[_Claimed]]:
    token = secrets.token_hex(16)
    d = WebhookDelivery
    due = (
        select(d.id)
        .where(
            d.status == DeliveryStatus.PENDING,
            d.next_attempt_at <= now,
            or_(d.claimed_until.is_(None), d.claimed_until < now),
        )
        .order_by(d.next_attempt_at, d.id)
        .limit(policy.batch)
        .with_for_update(skip_locked=True)
    )
    sessions = session_factory(engine)
    with sessions() as session:
        session.execute(
            update(d)
            .where(d.id.in_(due.scalar_subquery()))
            .values(claim_token=token, claimed_until=now + policy.lease),
            execution_options={"synchronize_session": False},
        )
        rows = session.execute(
            select(d, WebhookEndpoint, WebhookEvent)
            .join(WebhookEndpoint, WebhookEndpoint.id == d.endpoint_id)
            .join(WebhookEvent, WebhookEvent.id == d.event_id)
            .where(d.claim_token == token)
            .order_by(d.id)
        ).tuples()
        claimed = []
        for delivery, endpoint, event in rows:
            signing = [endpoint.secret]
            expires = endpoint.previous_secret_expires_at
            if endpoint.previous_secret and expires is not None and expires > now:
                signing.append(endpoint.previous_secret)
            claimed.append(
                _Claimed(
                    delivery.id, event.id, delivery.is_redelivery, delivery.attempts,
                    delivery.created_at, endpoint.url, tuple(signing), event_body(event),
                    event.type,
                )
            )  # fmt: skip
        session.commit()
    return token, claimed


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever DNS says by now."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._address = destination.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._address = destination.address
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def _post(claimed: _Claimed, policy: DeliveryPolicy, timestamp: int) -> Outcome:
    try:
        destination = resolve(claimed.url, policy.allow_private)
    except InvalidWebhookUrlError as exc:
        return Outcome(None, f"refused: {exc}")
    except OSError as exc:
        return Outcome(None, f"cannot resolve the host: {exc}")
    connection: http.client.HTTPConnection
    if destination.url.scheme == "https":
        connection = _PinnedHTTPSConnection(destination, policy.timeout)
    else:
        connection = _PinnedHTTPConnection(destination, policy.timeout)
    path = destination.url.path or "/"
    if destination.url.query:
        path += "?" + destination.url.query
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(claimed.signing_secrets, claimed.body, timestamp),
        "Coinpos-Event-Id": str(claimed.event_id),
        "Coinpos-Event-Type": claimed.event_type,
        "Coinpos-Delivery-Id": str(claimed.id),
        "Coinpos-Redelivery": "true" if claimed.is_redelivery else "false",
    }
    try:
        connection.request("POST", path, body=claimed.body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return Outcome(response.status, None if 200 <= response.status < 300 else _reason(response))
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


def _reason(response: http.client.HTTPResponse) -> str:
    if 300 <= response.status < 400:
        return f"HTTP {response.status} (redirects are not followed)"
    return f"HTTP {response.status}"


def _record(
    engine: Engine,
    policy: DeliveryPolicy,
    claimed: _Claimed,
    token: str,
    outcome: Outcome,
    now: datetime,
    result: PassResult,
) -> None:
    attempts = claimed.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_response_status": outcome.status,
        "last_error": outcome.error,
        "claim_token": None,
        "claimed_until": None,
    }
    if outcome.delivered:
        values.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    else:
        delay = min(policy.first_backoff * 2 ** min(attempts - 1, 20), policy.max_backoff)
        if outcome.retryable and now + delay <= claimed.created_at + policy.retry_window:
            values.update(next_attempt_at=now + delay)
        else:
            values.update(status=DeliveryStatus.FAILED)
    with session_factory(engine)() as session:
        changed = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == claimed.id, WebhookDelivery.claim_token == token)
            .values(**values),
            execution_options={"synchronize_session": False},
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
    if not changed:
        result.lost_claims += 1
    elif outcome.delivered:
        result.delivered += 1
    elif values.get("status") is DeliveryStatus.FAILED:
        result.failed += 1
    else:
        result.retrying += 1
