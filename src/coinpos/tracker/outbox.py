"""Adding notifications to the outbox in the tracker's own transaction; a re-run adds none twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coinpos.db.models import Notification, NotificationStatus


def notify(
    session: Session, dedupe_key: str, topic: str, payload: dict[str, Any], now: datetime
) -> None:
    notify_many(session, topic, [(dedupe_key, payload)], now)


def notify_many(
    session: Session, topic: str, rows: Sequence[tuple[str, dict[str, Any]]], now: datetime
) -> None:
    """One statement for many rows of one topic: (dedupe key, payload) each."""
    if not rows:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(Notification).on_conflict_do_nothing(index_elements=["dedupe_key"]),
        [
            {
                "dedupe_key": key,
                "topic": topic,
                "payload": payload,
                "status": NotificationStatus.PENDING,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
            for key, payload in rows
        ],
    )
