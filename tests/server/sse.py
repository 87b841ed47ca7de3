"""Reading a server-sent events stream with a real HTTP client, in a thread of its own."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Event:
    event: str | None = None
    id: str | None = None
    data: Any = None
    retry: int | None = None


@dataclass
class StreamReader:
    """GETs `url` and collects its events (and comments) until the server ends it."""

    url: str
    headers: dict[str, str]
    events: queue.Queue[Event] = field(default_factory=queue.Queue)
    comments: list[str] = field(default_factory=list)
    status: int | None = None
    ended: threading.Event = field(default_factory=threading.Event)
    opened: threading.Event = field(default_factory=threading.Event)
    _socket: socket.socket | None = None

    def start(self) -> StreamReader:
        threading.Thread(target=self._run, daemon=True).start()
        if not self.opened.wait(15):
            raise TimeoutError(f"no answer from {self.url}")
        return self

    def _run(self) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(30, read=60)) as client,
                client.stream("GET", self.url, headers=self.headers) as response,
            ):
                self._socket = response.extensions["network_stream"].get_extra_info("socket")
                self.status = response.status_code
                self.opened.set()
                if response.status_code != 200:
                    response.read()
                    return
                current = Event()
                for line in response.iter_lines():
                    if line == "":
                        if current.event or current.data is not None:
                            self.events.put(current)
                        current = Event()
                    elif line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    else:
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "data":
                            current.data = json.loads(value)
                        elif name == "retry":
                            current.retry = int(value)
                        elif name in ("event", "id"):
                            setattr(current, name, value)
        except httpx.HTTPError:
            pass  # closed by close(), or the server went away
        finally:
            self.opened.set()
            self.ended.set()

    def close(self) -> None:
        """Hangs up, as a client leaving the page does."""
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
        assert self.ended.wait(10)

    def next(self, timeout: float = 10) -> Event:
        return self.events.get(timeout=timeout)

    def take(self, count: int, timeout: float = 10) -> list[Event]:
        return [self.next(timeout) for _ in range(count)]
