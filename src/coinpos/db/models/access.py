"""Who may call the exchange server: POS terminal API keys, customer sessions, and the
failed logins that throttle guessing.

Keys and session tokens are stored only as SHA-256 digests: both are 256-bit random values,
so a fast hash is enough (a slow one protects low-entropy secrets such as passwords).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.types import UtcDateTime, str_enum, utcnow


class KeyRole(enum.StrEnum):
    TERMINAL = "terminal"
    MANAGER = "manager"


class ApiKey(Base):
    """A POS terminal's API key: one store, one role; the key itself is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The key's public first characters, shown in listings and used to find the row.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.store_id"), index=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    role: Mapped[KeyRole] = mapped_column(str_enum(KeyRole, "api_key_role"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CustomerSession(Base):
    """A customer's login: an opaque token (stored hashed) that expires or is revoked."""

    __tablename__ = "customer_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LoginFailure(Base):
    """One failed login; recent ones are counted per login id and per client address."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_login_id_at", "login_id", "at"),
        Index("ix_login_failures_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login_id: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
