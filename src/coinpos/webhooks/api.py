"""Store webhook routes, for a manager key of the store (a key of another store gets 404,
a terminal key 403). Thin: every rule is in webhooks/service.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from coinpos.db.models import DeliveryStatus
from coinpos.server.auth import MANAGER_ROUTE, Manager, StoreId
from coinpos.server.database import get_uow
from coinpos.server.idempotency import idempotency_key
from coinpos.unit_of_work import UnitOfWork
from coinpos.webhooks import service
from coinpos.webhooks.schemas import Delivery, NewWebhook, RotateSecret, Webhook, WebhookWithSecret

router = APIRouter(prefix="/stores/{store_id}/webhooks", tags=["webhooks"])

Uow = Annotated[UnitOfWork, Depends(get_uow)]
WebhookId = Annotated[int, Path(ge=1, le=2**62, description="The webhook endpoint's id.")]


@router.post(
    "", status_code=201, summary="Register a webhook endpoint", openapi_extra=MANAGER_ROUTE
)
def create_webhook(
    request: Request,
    store_id: StoreId,
    body: NewWebhook,
    manager: Manager,
    uow: Uow,
    _: Annotated[str | None, Depends(idempotency_key)],
) -> WebhookWithSecret:
    allow = bool(request.app.state.settings.allow_private_webhooks)
    view, secret = service.create_endpoint(uow, manager.store_id, body.url, body.events, allow)
    return WebhookWithSecret(**Webhook.of(view).model_dump(), secret=secret)


@router.get("", summary="List the store's webhook endpoints", openapi_extra=MANAGER_ROUTE)
def list_webhooks(store_id: StoreId, manager: Manager, uow: Uow) -> list[Webhook]:
    return [Webhook.of(v) for v in service.list_endpoints(uow, manager.store_id)]


@router.get("/{webhook_id}", summary="Read a webhook endpoint", openapi_extra=MANAGER_ROUTE)
def get_webhook(store_id: StoreId, webhook_id: WebhookId, manager: Manager, uow: Uow) -> Webhook:
    return Webhook.of(service.get_endpoint(uow, manager.store_id, webhook_id))


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="Delete a webhook endpoint",
    openapi_extra=MANAGER_ROUTE,
)
def delete_webhook(
    store_id: StoreId, webhook_id: WebhookId, manager: Manager, uow: Uow
) -> Response:
    service.delete_endpoint(uow, manager.store_id, webhook_id)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/rotate-secret",
    summary="Replace the secret; the old one signs too",
    openapi_extra=MANAGER_ROUTE,
)
def rotate_secret(
    store_id: StoreId,
    webhook_id: WebhookId,
    body: RotateSecret,
    manager: Manager,
    uow: Uow,
    _: Annotated[str | None, Depends(idempotency_key)],
) -> WebhookWithSecret:
    grace = timedelta(hours=body.grace_hours)
    view, secret = service.rotate_secret(uow, manager.store_id, webhook_id, grace)
    return WebhookWithSecret(**Webhook.of(view).model_dump(), secret=secret)


@router.get(
    "/{webhook_id}/deliveries",
    summary="List an endpoint's deliveries, newest first",
    openapi_extra=MANAGER_ROUTE,
)
def list_deliveries(
    store_id: StoreId,
    webhook_id: WebhookId,
    manager: Manager,
    uow: Uow,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Delivery]:
    views = service.list_deliveries(uow, manager.store_id, webhook_id, status, limit)
    return [Delivery.of(v) for v in views]


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    summary="Send a delivery's event again (a new delivery, flagged as a redelivery)",
    openapi_extra=MANAGER_ROUTE,
)
def redeliver(
    store_id: StoreId,
    webhook_id: WebhookId,
    delivery_id: Annotated[int, Path(ge=1, le=2**62)],
    manager: Manager,
    uow: Uow,
    _: Annotated[str | None, Depends(idempotency_key)],
) -> Delivery:
    original = service.get_delivery(uow, manager.store_id, delivery_id)
    if original.delivery.endpoint_id != webhook_id:
        raise service.UnknownWebhookError(f"no webhook delivery {delivery_id}")
    return Delivery.of(service.redeliver(uow, manager.store_id, delivery_id))
