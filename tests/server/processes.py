"""The exchange's processes as a deployment runs them: `coinpos serve`, `coinpos track
--follow` and `coinpos notify --follow`, each a real subprocess, stopped by its own id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.offchain.tracker.anvil import free_port

COINPOS = Path(sys.executable).with_name("coinpos")


@contextmanager
def running(args: Sequence[str], db_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`coinpos --db URL ARGS…` until the block ends (SIGTERM, then SIGKILL)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(COINPOS), "--db", db_url, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
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


@contextmanager
def serving_process(db_url: str, log: Path, *extra: str, workers: int = 1) -> Iterator[str]:
    """`coinpos serve` on a free port; yields its base URL once /healthz answers."""
    port = free_port()
    args = ["serve", "--port", str(port), "--workers", str(workers), *extra]
    with running(args, db_url, log) as process:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"coinpos serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield url
