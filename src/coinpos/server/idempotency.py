"""`Idempotency-Key` on creating POSTs, by Stripe's rules, stored in the database.

A route opts in by depending on `idempotency_key`, which declares the header in the OpenAPI
document; the middleware finds the routes that do from that document. For such a request
the middleware, before the route runs, inserts a row keyed by (principal, key) with a
digest of the method, path and body: the unique constraint lets only one of
two concurrent requests through; the other gets 409. When the route answers, its status and
body are stored, and a later request with the same key and principal gets them replayed
(with `Idempotent-Replayed: true`); the same key with another request gets 409.

The principal is who the Authorization header authenticates (a key's prefix, a customer),
checked before anything is replayed: one caller cannot replay another's response, a
revoked key or an ended session replays nothing, and two spellings of one header
(`Bearer`/`bearer`) are one caller. A request without valid credentials is passed to the
route untouched (which refuses it).

Only successes (2xx) are stored: a refused request changes nothing, not even the key
table, and a retry after fixing it runs anew (Stripe keeps some refusals; we keep none, so
that bad input leaves no trace). The key is stored or released before the
answer is sent. Rows are kept `retention` (24 h by default), then purged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from coinpos.db.models import IdempotencyRecord
from coinpos.db.types import utcnow
from coinpos.server.auth import principal_of_header
from coinpos.server.problems import problem_response
from coinpos.server.templates import PathTemplates
from coinpos.unit_of_work import UnitOfWork

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=MAX_KEY_LENGTH,
            description="Replays the first response for a retry with the same key (24 h).",
        ),
    ] = None,
) -> str | None:
    """Declares the header on a creating route; the middleware does the work."""
    return idempotency_key


def _declares_header(operations: dict[str, Any]) -> bool:
    parameters = operations.get("post", {}).get("parameters", [])
    return any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters)


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: bytes
    content_type: str | None


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        engine: Engine,
        retention: timedelta,
        templates: PathTemplates,
    ) -> None:
        self.app = app
        self.engine = engine
        self.retention = retention
        self._templates = templates

    def _opted_in(self, scope: Scope) -> bool:
        found = self._templates.match(scope["path"])
        return found is not None and _declares_header(found[1])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        key_bytes = headers.get(HEADER)
        if key_bytes is None or not self._opted_in(scope):
            await self.app(scope, receive, send)
            return
        key = key_bytes.decode("latin-1")
        if not key or len(key) > MAX_KEY_LENGTH:
            # The route's header validation answers it (422).
            await self.app(scope, receive, send)
            return
        authorization = headers.get("authorization", b"").decode("latin-1")
        principal = await run_in_threadpool(principal_of_header, self.engine, authorization)
        if principal is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        fingerprint = hashlib.sha256(
            scope["method"].encode() + b" " + scope["path"].encode() + b"\n" + body
        ).hexdigest()
        outcome = await run_in_threadpool(self._reserve, principal, key, fingerprint)
        if isinstance(outcome, StoredAnswer):
            await _replay(outcome, send)
            return
        if outcome is not None:
            await problem_response(409, outcome, "idempotency-conflict")(scope, receive, send)
            return
        held: list[Message] = []
        settled = False

        async def settle(status: int, body: bytes, content_type: str) -> None:
            """Stores or releases the key before the client sees the answer, so a retry
            right after it finds the key in its final state."""
            nonlocal settled
            settled = True
            if 200 <= status < 300:
                await run_in_threadpool(self._store, principal, key, status, body, content_type)
            else:
                await run_in_threadpool(self._release, principal, key)

        async def hold(message: Message) -> None:
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                start = held[0]
                content_type = dict(start.get("headers", [])).get(b"content-type", b"").decode()
                body = b"".join(m.get("body", b"") for m in held[1:])
                await settle(start["status"], body, content_type)
                for each in held:
                    await send(each)

        try:
            await self.app(scope, _replaying(body), hold)
        finally:
            if not settled:
                await run_in_threadpool(self._release, principal, key)

    def _reserve(self, principal: str, key: str, fingerprint: str) -> StoredAnswer | str | None:
        """None: this request runs. A stored answer: replay it. A string: why it is refused."""
        now = utcnow()
        with UnitOfWork(self.engine) as uow:
            uow.session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - self.retention)
            )
            uow.session.add(
                IdempotencyRecord(
                    principal=principal, key=key, request_hash=fingerprint, created_at=now
                )
            )
            try:
                uow.commit()
                return None
            except IntegrityError:
                uow.rollback()
            found = uow.session.scalars(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
                )
            ).one_or_none()
            if found is None:
                return "a request with this Idempotency-Key has just finished; retry it"
            if found.request_hash != fingerprint:
                return "this Idempotency-Key was used with another request"
            if found.status_code is None:
                return "a request with this Idempotency-Key is still in progress"
            return StoredAnswer(found.status_code, found.response_body or b"", found.content_type)

    def _store(self, principal: str, key: str, status: int, body: bytes, content_type: str) -> None:
        with UnitOfWork(self.engine) as uow:
            record = uow.session.scalars(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
                )
            ).one()
            record.status_code = status
            record.response_body = body
            record.content_type = content_type or None
            uow.commit()

    def _release(self, principal: str, key: str) -> None:
        with UnitOfWork(self.engine) as uow:
            uow.session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
                )
            )
            uow.commit()


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _replay(answer: StoredAnswer, send: Send) -> None:
    headers = [
        (b"content-type", (answer.content_type or "application/json").encode()),
        (b"content-length", str(len(answer.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
