"""Request and response bodies of the store webhook routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from coinpos.webhooks.events import EventType
from coinpos.webhooks.service import DeliveryView, EndpointView


class NewWebhook(BaseModel):
    url: str = Field(
        max_length=2000,
        description="http(s) URL; its host must resolve to global addresses only.",
        examples=["https://shop.example/coinpos/webhook"],
    )
    events: list[EventType] = Field(min_length=1, max_length=11)


class Webhook(BaseModel):
    id: int
    url: str
    events: list[str]
    created_at: datetime
    # Set after a rotation: until then the old secret signs too (a second `v1`).
    previous_secret_expires_at: datetime | None

    @classmethod
    def of(cls, view: EndpointView) -> Webhook:
        e = view.endpoint
        return cls(
            id=e.id, url=e.url, events=list(view.events), created_at=e.created_at,
            previous_secret_expires_at=e.previous_secret_expires_at,
        )  # fmt: skip


class WebhookWithSecret(Webhook):
    secret: str = Field(description="Shown once: keep it to verify `Coinpos-Signature`.")


class RotateSecret(BaseModel):
    grace_hours: float = Field(
        default=24, ge=0, le=168, description="How long the old secret keeps signing too."
    )


class Delivery(BaseModel):
    id: int
    event_id: int
    event_type: str
    webhook_id: int
    is_redelivery: bool
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_response_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, view: DeliveryView) -> Delivery:
        d = view.delivery
        return cls(
            id=d.id, event_id=d.event_id, event_type=view.event_type, webhook_id=d.endpoint_id,
            is_redelivery=d.is_redelivery, status=d.status.value, attempts=d.attempts,
            next_attempt_at=d.next_attempt_at if d.status.value == "pending" else None,
            last_response_status=d.last_response_status, last_error=d.last_error,
            created_at=d.created_at, delivered_at=d.delivered_at,
        )  # fmt: skip
