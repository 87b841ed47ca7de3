"""Issuing, checking and revoking terminal API keys.

A key is `cpk_<prefix>_<secret>`: the prefix (public, 12 hex characters) finds the row,
the secret (256 random bits) is checked against its SHA-256 digest in constant time. The
key itself is returned once, by `issue_key`, and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from coinpos.db.models import ApiKey, KeyRole, Terminal
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError
from coinpos.stores.service import get_store
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError

KEY_SCHEME = "cpk"
PREFIX_LENGTH = 12
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(CoinposError):
    """A key request that cannot be carried out."""


class UnknownKeyError(ApiKeyError):
    def __init__(self, prefix: str) -> None:
        super().__init__(f"no API key with prefix {prefix}")


class InvalidKeyError(ApiKeyError):
    """A presented key that is malformed, unknown, revoked or wrong (one message for all)."""

    def __init__(self) -> None:
        super().__init__("the API key is not valid")


@dataclass(frozen=True)
class IssuedKey:
    """The row and the key itself, which is shown this once."""

    record: ApiKey
    key: str


@dataclass(frozen=True)
class KeyHolder:
    """Who a valid key speaks for."""

    prefix: str
    store_id: str
    terminal_code: str
    role: KeyRole


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_role(value: str) -> KeyRole:
    try:
        return KeyRole(value)
    except ValueError:
        roles = ", ".join(role.value for role in KeyRole)
        raise InvalidInputError(f"role {value!r} is not one of {roles}") from None


def issue_key(
    uow: UnitOfWork, store_id: str, terminal_code: str, role: KeyRole = KeyRole.TERMINAL
) -> IssuedKey:
    store = get_store(uow, store_id)
    terminal = uow.session.scalars(
        select(Terminal).where(Terminal.store_id == store.store_id, Terminal.code == terminal_code)
    ).one_or_none()
    if terminal is None:
        raise ApiKeyError(f"store {store.store_id} has no terminal {terminal_code!r}")
    if not terminal.active:
        raise ApiKeyError(f"terminal {terminal_code!r} is deactivated")
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    record = ApiKey(
        prefix=prefix,
        key_hash=_digest(secret),
        store_id=store.store_id,
        terminal_id=terminal.id,
        role=role,
        created_at=utcnow(),
    )
    uow.session.add(record)
    uow.commit()
    return IssuedKey(record, f"{KEY_SCHEME}_{prefix}_{secret}")


def revoke_key(uow: UnitOfWork, prefix: str, now: datetime | None = None) -> ApiKey:
    record = uow.session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    if record is None:
        raise UnknownKeyError(prefix)
    if record.revoked_at is None:
        record.revoked_at = now or utcnow()
        uow.commit()
    return record


def list_keys(uow: UnitOfWork, store_id: str) -> list[tuple[ApiKey, str]]:
    """Each key of the store with its terminal's code, oldest first."""
    store = get_store(uow, store_id)
    rows = uow.session.execute(
        select(ApiKey, Terminal.code)
        .join(Terminal, Terminal.id == ApiKey.terminal_id)
        .where(ApiKey.store_id == store.store_id)
        .order_by(ApiKey.created_at, ApiKey.id)
    )
    return [(key, code) for key, code in rows.tuples()]


def authenticate_key(uow: UnitOfWork, presented: str, now: datetime | None = None) -> KeyHolder:
    """The holder of a presented key, recording its use; InvalidKeyError otherwise."""
    scheme, _, rest = presented.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != KEY_SCHEME or len(prefix) != PREFIX_LENGTH or not secret:
        raise InvalidKeyError()
    found = uow.session.execute(
        select(ApiKey, Terminal)
        .join(Terminal, Terminal.id == ApiKey.terminal_id)
        .where(ApiKey.prefix == prefix)
    ).one_or_none()
    if found is None:
        raise InvalidKeyError()
    record, terminal = found.tuple()
    if not hmac.compare_digest(record.key_hash, _digest(secret)):
        raise InvalidKeyError()
    if record.revoked_at is not None or not terminal.active:
        raise InvalidKeyError()
    moment = now or utcnow()
    # Kept to the minute: a write per request would serialise every terminal on the key table.
    if record.last_used_at is None or moment - record.last_used_at >= LAST_USED_RESOLUTION:
        record.last_used_at = moment
        uow.commit()
    return KeyHolder(record.prefix, record.store_id, terminal.code, record.role)
