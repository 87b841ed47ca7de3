"""A small JSON-RPC client over one kept-alive HTTP connection, with batch requests.

The tracker sends hundreds of balance, hash and receipt queries per range; a JSON-RPC batch
carries them in one round trip, which is most of the batched design's speed. Hosted nodes
cap a batch (100 calls at Alchemy and Infura), so `max_batch` splits larger ones.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from coinpos.tracker.errors import NodeUnavailableError, RpcError

Call = tuple[str, Sequence[Any]]


class JsonRpcClient:
    def __init__(self, url: str, timeout: float = 30.0, max_batch: int = 500) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise NodeUnavailableError(f"not an HTTP node URL: {url!r}")
        self.url = url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._path = parts.path or "/"
        self._timeout = timeout
        self.max_batch = max_batch
        self._conn: http.client.HTTPConnection | None = None
        self._next_id = 0

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        reply = self._post(self._request(method, params))
        if not isinstance(reply, dict):
            raise NodeUnavailableError(f"{method}: malformed reply from {self.url}")
        if "error" in reply:
            raise RpcError(method, reply["error"])
        return reply.get("result")

    def batch(self, calls: Sequence[Call], chunk: int | None = None) -> list[Any]:
        """Results in the order of `calls`, sent `chunk` (default `max_batch`) calls per HTTP
        request, never more than `max_batch` (the node's limit); the first error raises."""
        chunk = min(chunk or self.max_batch, self.max_batch)
        results: list[Any] = []
        for start in range(0, len(calls), chunk):
            for outcome in self._send_batch(calls[start : start + chunk]):
                if isinstance(outcome, RpcError):
                    raise outcome
                results.append(outcome)
        return results

    def batch_outcomes(self, calls: Sequence[Call], chunk: int | None = None) -> list[Any]:
        """Like `batch`, but a call the node answered with an error gets its RpcError in
        its place, so the caller can retry that call alone; the others stand."""
        chunk = chunk or self.max_batch
        outcomes: list[Any] = []
        for start in range(0, len(calls), chunk):
            outcomes += self._send_batch(calls[start : start + chunk])
        return outcomes

    def _send_batch(self, part: Sequence[Call]) -> list[Any]:
        """One HTTP request: each call's result, or its RpcError."""
        requests = [self._request(m, p) for m, p in part]
        replies = self._post(requests)
        if isinstance(replies, dict) and "error" in replies:
            # A node refusing the batch as a whole (over its batch limit, say).
            raise RpcError(f"batch of {len(part)}", replies["error"])
        if not isinstance(replies, list):
            raise NodeUnavailableError(f"batch of {len(part)}: malformed reply")
        by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
        outcomes: list[Any] = []
        for request, (method, _params) in zip(requests, part, strict=True):
            reply = by_id.get(request["id"])
            if reply is None:
                raise NodeUnavailableError(f"{method}: no reply in the batch")
            if "error" in reply:
                outcomes.append(RpcError(method, reply["error"]))
            else:
                outcomes.append(reply.get("result"))
        return outcomes

    def _request(self, method: str, params: Sequence[Any]) -> dict[str, Any]:
        self._next_id += 1
        return {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": list(params)}

    def _post(self, body: Any) -> Any:
        payload = json.dumps(body).encode()
        # One retry on a fresh connection: a kept-alive socket the node closed is not an outage.
        for attempt in (1, 2):
            try:
                conn = self._connection()
                conn.request("POST", self._path, payload, {"Content-Type": "application/json"})
                response = conn.getresponse()
                data = response.read()
                if response.status != 200:
                    raise NodeUnavailableError(f"{self.url} answered HTTP {response.status}")
                return json.loads(data)
            except (OSError, http.client.HTTPException, json.JSONDecodeError) as exc:
                self.close()
                if attempt == 2:
                    raise NodeUnavailableError(f"node at {self.url} unavailable: {exc}") from exc
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self._timeout)
        return self._conn
