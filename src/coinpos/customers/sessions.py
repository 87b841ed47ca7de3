"""Customer sessions: login with login id and password, an opaque token, logout.

The token (256 random bits) is returned once and stored as its SHA-256 digest. A login with
an unknown login id verifies the password against a dummy argon2 hash, so it takes as long
as a wrong password and the answer time does not tell which login ids exist. Failed logins
are recorded in the database and counted per login id and per client address over a
window; past a limit, logins are refused with the time to wait (so it works across workers).
A client is an IPv4 address or an IPv6 /64 (what one host or one customer line is given,
so rotating addresses inside it is one client); an IPv4-mapped IPv6 address is its IPv4.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute

from coinpos.customers.passwords import hash_password, needs_rehash, verify_password
from coinpos.db.models import Customer, CustomerSession, LoginFailure
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError
from coinpos.unit_of_work import UnitOfWork

_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class SessionError(CoinposError):
    """A login or a session token that is refused."""


class LoginRefusedError(SessionError):
    def __init__(self) -> None:
        super().__init__("login id or password is wrong")


class InvalidSessionError(SessionError):
    def __init__(self) -> None:
        super().__init__("the session token is not valid (expired, revoked or unknown)")


class LoginThrottledError(SessionError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins: try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginPolicy:
    window: timedelta = timedelta(minutes=15)
    per_login: int = 5
    per_client: int = 20
    lifetime: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class NewSession:
    token: str
    customer_id: int
    expires_at: datetime


@dataclass(frozen=True)
class SessionHolder:
    session_id: int
    customer_id: int
    login_id: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


IPV6_CLIENT_PREFIX = 64


def client_key(address: str) -> str:
    """The address a client's failed logins are counted under (see the module's text)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False))
    return str(parsed)


def _retry_after(
    uow: UnitOfWork,
    column: InstrumentedAttribute[str],
    value: str,
    limit: int,
    policy: LoginPolicy,
    now: datetime,
) -> int | None:
    since = now - policy.window
    times = list(
        uow.session.scalars(
            select(LoginFailure.at)
            .where(column == value, LoginFailure.at > since)
            .order_by(LoginFailure.at.desc())
            .limit(limit)
        )
    )
    if len(times) < limit:
        return None
    # The oldest of the last `limit` failures leaves the window first.
    return max(1, int((times[-1] + policy.window - now).total_seconds()) + 1)


def login(
    uow: UnitOfWork,
    login_id: str,
    password: str,
    client: str,
    policy: LoginPolicy = LoginPolicy(),
    now: datetime | None = None,
) -> NewSession:
    moment = now or utcnow()
    client = client_key(client)
    login_key = login_id[:64]
    waits = [
        _retry_after(uow, LoginFailure.login_id, login_key, policy.per_login, policy, moment),
        _retry_after(uow, LoginFailure.client, client, policy.per_client, policy, moment),
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise LoginThrottledError(wait)
    customer = uow.session.scalars(
        select(Customer).where(Customer.login_id == login_id)
    ).one_or_none()
    encoded = customer.password_hash if customer is not None else _DUMMY_HASH
    matches = verify_password(encoded, password)
    if customer is None or not customer.active or not matches:
        uow.session.add(LoginFailure(login_id=login_key, client=client, at=moment))
        uow.session.execute(delete(LoginFailure).where(LoginFailure.at < moment - policy.window))
        uow.commit()
        raise LoginRefusedError()
    if needs_rehash(customer.password_hash):
        customer.password_hash = hash_password(password)
    token = secrets.token_urlsafe(32)
    expires = moment + policy.lifetime
    uow.session.add(
        CustomerSession(
            token_hash=_digest(token),
            customer_id=customer.id,
            created_at=moment,
            expires_at=expires,
        )
    )
    uow.commit()
    return NewSession(token, customer.id, expires)


def authenticate_session(uow: UnitOfWork, token: str, now: datetime | None = None) -> SessionHolder:
    found = uow.session.execute(
        select(CustomerSession, Customer)
        .join(Customer, Customer.id == CustomerSession.customer_id)
        .where(CustomerSession.token_hash == _digest(token))
    ).one_or_none()
    if found is None:
        raise InvalidSessionError()
    record, customer = found.tuple()
    moment = now or utcnow()
    if record.revoked_at is not None or record.expires_at <= moment or not customer.active:
        raise InvalidSessionError()
    return SessionHolder(record.id, customer.id, customer.login_id)


def logout(uow: UnitOfWork, session_id: int, now: datetime | None = None) -> None:
    record = uow.session.get(CustomerSession, session_id)
    if record is None:
        raise InvalidSessionError()
    if record.revoked_at is None:
        record.revoked_at = now or utcnow()
        uow.commit()


def failed_logins(uow: UnitOfWork, login_id: str) -> int:
    return int(
        uow.session.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.login_id == login_id)
        )
        or 0
    )
