"""Publishing webhook events: an event row with an id, then one delivery row per endpoint
of the store that subscribes to its type, in the caller's transaction.

Set-based, so the tracker publishing for thousands of invoices at once stays a few
statements: one query for who subscribes, one INSERT of the events, one INSERT … SELECT of
the deliveries. Events nobody subscribes to are not stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import and_, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coinpos.db.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSubscription,
)

EventType = Literal[
    "invoice.created",
    "invoice.processing",
    "invoice.settled",
    "invoice.expired",
    "invoice.invalid",
    "invoice.paid_partial",
    "invoice.paid_over",
    "invoice.paid_late",
    "payment.refunded",
    "settlement.settled",
    "settlement.failed",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)

# Ids per statement: far below SQLite's limit on bound parameters.
_CHUNK = 900


@dataclass(frozen=True)
class NewEvent:
    # Names the change reported, so publishing it twice makes one event.
    dedupe_key: str
    store_id: str
    type: str
    payload: dict[str, Any]


def publish(session: Session, events: Sequence[NewEvent], now: datetime) -> int:
    """Stores the events some endpoint subscribes to, with their deliveries; returns how
    many events were stored."""
    if not events:
        return 0
    stores = sorted({e.store_id for e in events})
    wanted: set[tuple[str, str]] = set()
    for start in range(0, len(stores), _CHUNK):
        wanted.update(
            session.execute(
                select(WebhookEndpoint.store_id, WebhookSubscription.event_type)
                .join(WebhookSubscription, WebhookSubscription.endpoint_id == WebhookEndpoint.id)
                .where(
                    WebhookEndpoint.store_id.in_(stores[start : start + _CHUNK]),
                    WebhookEndpoint.deleted_at.is_(None),
                )
                .distinct()
            ).tuples()
        )
    rows = [
        {"dedupe_key": e.dedupe_key, "store_id": e.store_id, "type": e.type,
         "payload": e.payload, "created_at": now}
        for e in events
        if (e.store_id, e.type) in wanted
    ]  # fmt: skip
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    ids = list(
        session.scalars(
            upsert(WebhookEvent)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(WebhookEvent.id),
            rows,
        )
    )
    for start in range(0, len(ids), _CHUNK):
        _fan_out(session, ids[start : start + _CHUNK], now)
    return len(ids)


def _fan_out(session: Session, event_ids: Sequence[int], now: datetime) -> None:
    delivery = WebhookDelivery.__table__.c
    source = (
        select(
            WebhookEvent.id,
            WebhookEndpoint.id,
            literal(False),
            literal(DeliveryStatus.PENDING, delivery.status.type),
            literal(0),
            literal(now, delivery.next_attempt_at.type),
            literal(now, delivery.created_at.type),
        )
        .join(
            WebhookEndpoint,
            and_(
                WebhookEndpoint.store_id == WebhookEvent.store_id,
                WebhookEndpoint.deleted_at.is_(None),
            ),
        )
        .join(
            WebhookSubscription,
            and_(
                WebhookSubscription.endpoint_id == WebhookEndpoint.id,
                WebhookSubscription.event_type == WebhookEvent.type,
            ),
        )
        .where(WebhookEvent.id.in_(event_ids))
    )
    session.execute(
        insert(WebhookDelivery).from_select(
            ["event_id", "endpoint_id", "is_redelivery", "status", "attempts",
             "next_attempt_at", "created_at"],
            source,
        )
    )  # fmt: skip
