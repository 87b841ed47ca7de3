"""A real webhook receiver: an HTTP server on 127.0.0.1 that records every POST and answers
what `respond` says (by default 204)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(
        self, respond: Callable[[Received, int], int] | None = None, delay: float = 0.0
    ) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self.respond = respond or (lambda _r, _n: 204)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                got = Received(self.path, dict(self.headers), body)
                with receiver._lock:
                    receiver.received.append(got)
                    count = len(receiver.received)
                if delay:
                    time.sleep(delay)
                status = receiver.respond(got, count)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def by_delivery(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.received:
            key = r.headers["Coinpos-Delivery-Id"]
            counts[key] = counts.get(key, 0) + 1
        return counts
