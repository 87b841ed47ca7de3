"""The exchange's processes as a deployment runs them: `coinpos serve`, `coinpos track
--follow` and `coinpos notify --follow`, each a real subprocess in a session of its own,
stopped by its own id (SIGTERM, then SIGKILL) when the block that started it ends, however
it ends. The demo runs its POS chapters on them, and the server tests use them too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from coinpos.errors import CoinposError

COINPOS = Path(sys.executable).with_name("coinpos")


class ExchangeProcessError(CoinposError):
    """An exchange process that did not start, or did not answer as it should."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(
    args: Sequence[str], db_url: str, log: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`coinpos --db URL ARGS…` until the block ends, its output (both streams) in `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(COINPOS), "--db", db_url, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=15)


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Returns once `url`/healthz answers; raises if the server exits or a minute passes."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise ExchangeProcessError(f"coinpos serve did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)


@contextmanager
def serving_process(
    db_url: str,
    log: Path,
    *extra: str,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """`coinpos serve` on a free port; yields its base URL once /healthz answers."""
    port = free_port()
    args = ["serve", "--port", str(port), "--workers", str(workers), *extra]
    with running(args, db_url, log, env) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url, process, log)
        yield url
