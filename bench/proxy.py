"""A JSON-RPC proxy on 127.0.0.1 that makes a local anvil look like a hosted node.

Each HTTP request waits `delay_ms` before it is forwarded (the round trip to a remote node),
and the proxy counts the HTTP requests, the JSON-RPC calls and the bytes the client
received. With `limits`, it refuses what hosted providers refuse, with the JSON-RPC errors
they send: a batch of more than `max_batch` calls, an eth_getLogs over more than
`max_log_blocks` blocks, or answering more than `max_logs` logs, or naming more than
`max_filter_addresses` addresses (contract addresses, or one topic's OR-list).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class HostedLimits:
    """What a hosted node allows (Alchemy's and Infura's published limits, rounded)."""

    max_batch: int = 100
    max_log_blocks: int = 2_000
    max_logs: int = 10_000
    max_filter_addresses: int = 1_000


UNLIMITED = HostedLimits(10**9, 10**9, 10**9, 10**9)


@dataclass
class Traffic:
    """What went through the proxy since the last reset."""

    http_requests: int = 0
    rpc_calls: int = 0
    bytes_received: int = 0
    refused: int = 0
    largest_batch: int = 0
    # Time spent waiting for the node's answers (anvil's own work), summed over requests.
    node_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, calls: int, received: int, refused: int, node_seconds: float) -> None:
        with self.lock:
            self.node_seconds += node_seconds
            self.http_requests += 1
            self.rpc_calls += calls
            self.bytes_received += received
            self.refused += refused
            self.largest_batch = max(self.largest_batch, calls)


class LimitRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DelayProxy:
    """Forwards POSTs to `upstream` after a delay, counting and (optionally) limiting them."""

    def __init__(self, upstream: str, delay_ms: float = 0, limits: HostedLimits | None = None):
        parts = urlsplit(upstream)
        assert parts.hostname and parts.port
        self._upstream = (parts.hostname, parts.port, parts.path or "/")
        self.delay_ms = delay_ms
        self.limits = limits
        self.traffic = Traffic()
        self._local = threading.local()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reset(self) -> Traffic:
        """The traffic counted so far; counting starts again from zero."""
        seen, self.traffic = self.traffic, Traffic()
        return seen

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _forward(self, body: bytes) -> bytes:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(*self._upstream[:2], timeout=120)
        started = time.perf_counter()
        conn.request("POST", self._upstream[2], body, {"Content-Type": "application/json"})
        reply = conn.getresponse().read()
        self._local.node_seconds = time.perf_counter() - started
        return reply

    def _answer(self, body: bytes) -> tuple[bytes, int, int]:
        """The reply, the number of calls, and how many of them were refused."""
        request = json.loads(body)
        calls = request if isinstance(request, list) else [request]
        # Without limits every check still runs (and passes), so the proxy's own work is the
        # same in both modes and "the cost of the limits" is the client's alone.
        limits = self.limits or UNLIMITED
        if isinstance(request, list) and len(request) > limits.max_batch:
            error = _error(None, f"batch of {len(request)} exceeds {limits.max_batch} calls")
            return json.dumps(error).encode(), len(calls), len(calls)
        refused: dict[Any, str] = {}
        for call in calls:
            try:
                _check_request(call, limits)
            except LimitRefused as exc:
                refused[call.get("id")] = exc.message
        passed = [c for c in calls if c.get("id") not in refused]
        replies: list[Any] = []
        if passed:
            forwarded = json.loads(self._forward(json.dumps(passed).encode()))
            for call, reply in zip(passed, _by_id(forwarded, passed), strict=True):
                problem = _check_reply(call, reply, limits)
                if problem:
                    refused[call.get("id")] = problem
                else:
                    replies.append(reply)
        replies += [_error(id_, message) for id_, message in refused.items()]
        if not isinstance(request, list):
            return json.dumps(replies[0]).encode(), 1, len(refused)
        return json.dumps(replies).encode(), len(calls), len(refused)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # kept alive, as a real client's connection is

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if proxy.delay_ms:
                    time.sleep(proxy.delay_ms / 1000)
                proxy._local.node_seconds = 0.0
                reply, calls, refused = proxy._answer(body)
                proxy.traffic.add(calls, len(reply), refused, proxy._local.node_seconds)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def _error(id_: Any, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "error": {"code": -32005, "message": message}}


def _by_id(forwarded: Any, passed: list[dict[str, Any]]) -> list[Any]:
    if not isinstance(forwarded, list):
        return [forwarded]
    replies = {r.get("id"): r for r in forwarded}
    return [replies.get(c.get("id")) for c in passed]


def _check_request(call: dict[str, Any], limits: HostedLimits) -> None:
    if call.get("method") != "eth_getLogs":
        return
    query = call["params"][0]
    start, end = query.get("fromBlock"), query.get("toBlock")
    if isinstance(start, str) and isinstance(end, str) and start.startswith("0x"):
        blocks = int(end, 16) - int(start, 16) + 1
        if blocks > limits.max_log_blocks:
            raise LimitRefused(
                f"block range too large: {blocks} blocks exceeds {limits.max_log_blocks}"
            )
    addresses = query.get("address")
    lists = [addresses] + [t for t in query.get("topics", []) if isinstance(t, list)]
    for named in lists:
        if isinstance(named, list) and len(named) > limits.max_filter_addresses:
            raise LimitRefused(
                f"filter of {len(named)} addresses exceeds {limits.max_filter_addresses}"
            )


def _check_reply(call: dict[str, Any], reply: Any, limits: HostedLimits) -> str | None:
    if call.get("method") != "eth_getLogs" or not isinstance(reply, dict):
        return None
    logs = reply.get("result")
    if isinstance(logs, list) and len(logs) > limits.max_logs:
        return f"query returned more than {limits.max_logs} results"
    return None


@contextmanager
def delay_proxy(
    upstream: str, delay_ms: float = 0, limits: HostedLimits | None = None
) -> Iterator[DelayProxy]:
    proxy = DelayProxy(upstream, delay_ms, limits)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
