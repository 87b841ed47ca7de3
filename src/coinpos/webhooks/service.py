"""Store webhook endpoints and their deliveries: what the manager's routes call.

Every function takes the store the caller acts for, and an endpoint or delivery of another
store is "unknown" (the API answers 404), never shown.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from coinpos.db.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSubscription,
)
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError
from coinpos.stores.service import get_store
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from coinpos.webhooks.destinations import check_url
from coinpos.webhooks.events import EVENT_TYPES

SECRET_PREFIX = "whsec_"
DEFAULT_ROTATION_GRACE = timedelta(hours=24)
MAX_ENDPOINTS_PER_STORE = 20


class WebhookError(CoinposError):
    """A webhook request that is refused; nothing is written."""


class UnknownWebhookError(WebhookError):
    """No such endpoint or delivery for this store."""


@dataclass(frozen=True)
class EndpointView:
    endpoint: WebhookEndpoint
    events: tuple[str, ...]


@dataclass(frozen=True)
class DeliveryView:
    delivery: WebhookDelivery
    event_type: str


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(24)


def _event_types(events: Sequence[str]) -> tuple[str, ...]:
    if not events:
        raise InvalidInputError("name at least one event type")
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInputError(
            f"unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}"
        )
    return tuple(t for t in EVENT_TYPES if t in set(events))


def create_endpoint(
    uow: UnitOfWork,
    store_id: str,
    url: str,
    events: Sequence[str],
    allow_private: bool = False,
    now: datetime | None = None,
) -> tuple[EndpointView, str]:
    """Registers an endpoint; returns it and its secret (shown this once)."""
    store = get_store(uow, store_id)
    types = _event_types(events)
    check_url(url, allow_private)
    count = len(_endpoints(uow, store.store_id))
    if count >= MAX_ENDPOINTS_PER_STORE:
        raise WebhookError(f"a store has at most {MAX_ENDPOINTS_PER_STORE} webhook endpoints")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        store_id=store.store_id, url=url, secret=secret, created_at=now or utcnow()
    )
    uow.session.add(endpoint)
    uow.session.flush()
    uow.session.add_all(WebhookSubscription(endpoint_id=endpoint.id, event_type=t) for t in types)
    uow.commit()
    return EndpointView(endpoint, types), secret


def _endpoints(uow: UnitOfWork, store_id: str) -> list[WebhookEndpoint]:
    return list(
        uow.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.store_id == store_id, WebhookEndpoint.deleted_at.is_(None))
            .order_by(WebhookEndpoint.id)
        )
    )


def _view(uow: UnitOfWork, endpoint: WebhookEndpoint) -> EndpointView:
    types = set(
        uow.session.scalars(
            select(WebhookSubscription.event_type).where(
                WebhookSubscription.endpoint_id == endpoint.id
            )
        )
    )
    return EndpointView(endpoint, tuple(t for t in EVENT_TYPES if t in types))


def list_endpoints(uow: UnitOfWork, store_id: str) -> list[EndpointView]:
    return [_view(uow, e) for e in _endpoints(uow, store_id)]


def _endpoint(uow: UnitOfWork, store_id: str, endpoint_id: int) -> WebhookEndpoint:
    endpoint = uow.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.store_id != store_id or endpoint.deleted_at is not None:
        raise UnknownWebhookError(f"no webhook endpoint {endpoint_id}")
    return endpoint


def get_endpoint(uow: UnitOfWork, store_id: str, endpoint_id: int) -> EndpointView:
    return _view(uow, _endpoint(uow, store_id, endpoint_id))


def delete_endpoint(
    uow: UnitOfWork, store_id: str, endpoint_id: int, now: datetime | None = None
) -> None:
    """Stops the endpoint: no new deliveries, and its pending ones fail; history stays."""
    now = now or utcnow()
    endpoint = _endpoint(uow, store_id, endpoint_id)
    endpoint.deleted_at = now
    uow.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.FAILED, last_error="the endpoint was deleted")
    )
    uow.commit()


def rotate_secret(
    uow: UnitOfWork,
    store_id: str,
    endpoint_id: int,
    grace: timedelta = DEFAULT_ROTATION_GRACE,
    now: datetime | None = None,
) -> tuple[EndpointView, str]:
    """A new secret; the old one keeps signing (a second `v1`) until the grace ends."""
    if grace < timedelta(0) or grace > timedelta(days=7):
        raise InvalidInputError("the rotation grace period must be between 0 and 7 days")
    now = now or utcnow()
    endpoint = _endpoint(uow, store_id, endpoint_id)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + grace
    endpoint.secret = secret
    uow.commit()
    return _view(uow, endpoint), secret


def list_deliveries(
    uow: UnitOfWork,
    store_id: str,
    endpoint_id: int | None = None,
    status: DeliveryStatus | None = None,
    limit: int = 100,
) -> list[DeliveryView]:
    if not 1 <= limit <= 1000:
        raise InvalidInputError(f"limit {limit} is outside 1..1000")
    query = (
        select(WebhookDelivery, WebhookEvent.type)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookEndpoint.store_id == store_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if endpoint_id is not None:
        _endpoint(uow, store_id, endpoint_id)
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return [DeliveryView(d, t) for d, t in uow.session.execute(query).tuples()]


def _delivery(uow: UnitOfWork, store_id: str, delivery_id: int) -> DeliveryView:
    row = uow.session.execute(
        select(WebhookDelivery, WebhookEvent.type, WebhookEndpoint.store_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id == delivery_id)
    ).one_or_none()
    if row is None or row[2] != store_id:
        raise UnknownWebhookError(f"no webhook delivery {delivery_id}")
    return DeliveryView(row[0], row[1])


def get_delivery(uow: UnitOfWork, store_id: str, delivery_id: int) -> DeliveryView:
    return _delivery(uow, store_id, delivery_id)


def redeliver(
    uow: UnitOfWork, store_id: str, delivery_id: int, now: datetime | None = None
) -> DeliveryView:
    """A new delivery of the same event to the same endpoint, flagged as a redelivery."""
    now = now or utcnow()
    original = _delivery(uow, store_id, delivery_id)
    _endpoint(uow, store_id, original.delivery.endpoint_id)
    again = WebhookDelivery(
        event_id=original.delivery.event_id,
        endpoint_id=original.delivery.endpoint_id,
        is_redelivery=True,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    uow.session.add(again)
    uow.commit()
    return DeliveryView(again, original.event_type)
