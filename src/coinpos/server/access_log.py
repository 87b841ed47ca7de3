"""Structured access logs: one JSON line per request on the `coinpos.access` logger.

A line holds the method, the route's path template (never the concrete path, which may
carry ids), the status, the duration and the request id; never a header, a query or a
body, so keys, tokens and passwords cannot reach the log. The request id is taken from a
well-formed `X-Request-ID` or made up, and sent back in the response.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from typing import Any

from coinpos.server.idempotency import ASGIApp, Message, Receive, Scope, Send
from coinpos.server.templates import PathTemplates

log = logging.getLogger("coinpos.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, templates: PathTemplates) -> None:
        self.app = app
        self._templates = templates

    def _template(self, scope: Scope) -> str:
        found = self._templates.match(scope["path"])
        return found[0] if found else "(unmatched)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(8)
        scope["coinpos.request_id"] = request_id
        started = time.perf_counter()
        status = 500
        logged = False

        def write_line() -> None:
            nonlocal logged
            logged = True
            record: dict[str, Any] = {
                "method": scope["method"],
                "path": self._template(scope),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": request_id,
            }
            log.info(json.dumps(record))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Written before the last of the body goes out, so the line is in the log by
                # the time the client has the answer (uvloop sends it at once).
                write_line()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if not logged:
                write_line()
