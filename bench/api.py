"""The exchange server's live half: webhook delivery and invoice status streams.

- Webhooks: 1,000 events to a receiver on 127.0.0.1 that answers 503 to a third of them the
  first time; two notifier workers at once (the claim keeps them apart). Measured: the time
  until every delivery is in, and that each event was accepted exactly once.
- Invoice creation: 50 concurrent terminals POSTing invoices to a server with 2 uvicorn
  workers (signing for an escrow address; the chain is not touched to create one).
  Measured: invoices per second and the latency p50 / p99 seen by the clients.
- Streams: 1,000 open SSE streams on one `coinpos serve` process while 1,000 invoices
  settle, written as the tracker writes (one bulk status change per 50 invoices, one
  transaction each, every 0.2 s). Measured: commit to the event reaching the client (p50,
  p99), and the server's resident memory before and with the streams open.

PostgreSQL (COINPOS_BENCH_POSTGRES_URL, default the local test server) when it answers, else
SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.common import BenchContext, Measurement
from coinpos.apikeys.service import issue_key
from coinpos.db.engine import make_engine
from coinpos.db.migrate import upgrade
from coinpos.db.models import (
    Coin,
    DeliveryStatus,
    Invoice,
    InvoiceStatus,
    KeyRole,
    WebhookDelivery,
)
from coinpos.db.types import utcnow
from coinpos.invoices import events as invoice_events
from coinpos.stores.service import add_terminal, create_store
from coinpos.unit_of_work import UnitOfWork
from coinpos.webhooks.delivery import DeliveryPolicy, deliver_due
from coinpos.webhooks.events import NewEvent, publish
from coinpos.webhooks.service import create_endpoint

DELIVERIES = 1_000
STREAMS = 1_000
CREATORS = 50
CREATIONS = 2_000
# anvil's second default account; only signs here.
OPERATOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
BUILD = Path(__file__).resolve().parents[1] / ".build" / "__local__.json"
BATCH = 50
# The tracker commits a range every couple of seconds while it follows the head; a batch
# of 50 settled invoices every 0.2 s is 250 events a second.
BATCH_GAP = 0.2
POSTGRES_URL = os.environ.get(
    "COINPOS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextlib.contextmanager
def database(directory: Path) -> Iterator[tuple[str, str]]:
    """A fresh, migrated database: (URL, backend name)."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception:
        url = f"sqlite:///{directory / ('bench-' + uuid.uuid4().hex[:8] + '.db')}"
        upgrade(make_engine(url))
        yield url, "SQLite"
        return
    name = f"coinpos_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url, "PostgreSQL"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- webhooks ---------------------------------------------------------------------------


class FlakyReceiver:
    """Answers 503 the first time it sees an event whose id is divisible by 3, else 204."""

    def __init__(self) -> None:
        self.posts = 0
        self.accepted: dict[str, int] = {}
        self._refused: set[str] = set()
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                event = self.headers["Coinpos-Event-Id"]
                with lock:
                    receiver.posts += 1
                    fail = int(event) % 3 == 0 and event not in receiver._refused
                    if fail:
                        receiver._refused.add(event)
                    else:
                        receiver.accepted[event] = receiver.accepted.get(event, 0) + 1
                self.send_response(503 if fail else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def bench_webhooks(url: str, backend: str) -> list[Measurement]:
    engine = make_engine(url)
    receiver = FlakyReceiver()
    try:
        with UnitOfWork(engine) as uow:
            store = create_store(uow, "Bench Cafe", "KRW")
        with UnitOfWork(engine) as uow:
            create_endpoint(uow, store.store_id, receiver.url, ["invoice.settled"], True)
        with Session(engine) as session:
            publish(
                session,
                [NewEvent(f"bench:{i}", store.store_id, "invoice.settled", {"invoice": {"id": i}})
                 for i in range(DELIVERIES)],
                utcnow(),
            )  # fmt: skip
            session.commit()
        policy = DeliveryPolicy(
            allow_private=True, timeout=5, first_backoff=timedelta(milliseconds=200), batch=100
        )

        def pending() -> int:
            with Session(engine) as session:
                return int(
                    session.scalar(
                        select(func.count())
                        .select_from(WebhookDelivery)
                        .where(WebhookDelivery.status == DeliveryStatus.PENDING)
                    )
                    or 0
                )

        def worker() -> None:
            while pending():
                if not deliver_due(engine, policy).claimed:
                    time.sleep(0.05)

        start = time.perf_counter()
        workers = [threading.Thread(target=worker) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - start
        once = len(receiver.accepted) == DELIVERIES and set(receiver.accepted.values()) == {1}
        return [
            Measurement(
                "webhooks",
                f"{DELIVERIES:,} deliveries, a third refused once (2 workers, {backend})",
                f"{elapsed:.2f} s",
                f"{receiver.posts:,} POSTs; each event accepted exactly once: "
                + ("yes" if once else "NO"),
                "all delivered, none twice",
            )
        ]
    finally:
        receiver.stop()
        engine.dispose()


# -- streams ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _invoices(url: str, count: int) -> tuple[str, list[tuple[int, str, str]], str]:
    engine = make_engine(url)
    try:
        with UnitOfWork(engine) as uow:
            store = create_store(uow, "Bench Streams", "KRW")
        with UnitOfWork(engine) as uow:
            add_terminal(uow, store.store_id, "T1", "bench")
        with UnitOfWork(engine) as uow:
            key = issue_key(uow, store.store_id, "T1", KeyRole.TERMINAL).key
        now = utcnow()
        with Session(engine) as session:
            session.add(Coin(chain_id=31337, symbol="BNC", address="0x" + "11" * 20, decimals=2))
            session.flush()
            coin_id = session.scalar(select(Coin.id).where(Coin.symbol == "BNC"))
            rows = [
                {"invoice_hash": "0x" + secrets.token_hex(32), "store_id": store.store_id,
                 "coin_id": coin_id, "amount": 100, "pay_deadline": now + timedelta(hours=1),
                 "authorization_expiry": now + timedelta(days=1),
                 "refund_deadline": now + timedelta(days=7), "fee_bps": 100,
                 "salt": "0x" + secrets.token_hex(32),
                 "deposit_address": "0x" + secrets.token_hex(20), "payment_uri": "ethereum:0x",
                 "status": InvoiceStatus.NEW, "amount_paid": 0, "created_at": now}
                for _ in range(count)
            ]  # fmt: skip
            made = [
                (int(i), str(h))
                for i, h in session.execute(
                    insert(Invoice).returning(Invoice.id, Invoice.invoice_hash), rows
                )
            ]
            invoice_events.record(
                session,
                [
                    invoice_events.StatusChange(
                        i, h, store.store_id, 100, 0, InvoiceStatus.NEW, None, None
                    )
                    for i, h in made
                ],
                now,
            )
            session.commit()
        return store.store_id, [(i, h, store.store_id) for i, h in made], key
    finally:
        engine.dispose()


def _settle(url: str, invoices: list[tuple[int, str, str]], committed: dict[int, float]) -> None:
    """As the tracker: per batch, one bulk UPDATE and the invoices' events, one commit."""
    engine = make_engine(url)
    try:
        for start in range(0, len(invoices), BATCH):
            part = invoices[start : start + BATCH]
            with Session(engine) as session:
                ids = [i for i, _, _ in part]
                session.execute(
                    update(Invoice)
                    .where(Invoice.id.in_(ids))
                    .values(status=InvoiceStatus.SETTLED, amount_paid=100)
                )
                invoice_events.record(
                    session,
                    [
                        invoice_events.StatusChange(
                            i, h, s, 100, 100, InvoiceStatus.SETTLED, None, InvoiceStatus.NEW
                        )
                        for i, h, s in part
                    ],
                    utcnow(),
                )
                session.commit()
                done = time.perf_counter()
            for i in ids:
                committed[i] = done
            time.sleep(BATCH_GAP)
    finally:
        engine.dispose()


async def _open_streams(
    base: str, invoices: list[tuple[int, str, str]], key: str, arrived: dict[int, float]
) -> tuple[int, asyncio.Event, list[asyncio.Task[None]]]:
    ready = asyncio.Event()
    opened = 0
    limits = httpx.Limits(max_connections=len(invoices) + 10, max_keepalive_connections=0)
    client = httpx.AsyncClient(timeout=httpx.Timeout(60, read=300), limits=limits)

    async def one(invoice_id: int) -> None:
        nonlocal opened
        url = f"{base}/api/v1/invoices/{invoice_id}/events"
        async with client.stream("GET", url, headers={"Authorization": f"Bearer {key}"}) as r:
            async for line in r.aiter_lines():
                if not line.startswith("data:"):
                    continue
                status = json.loads(line[5:])["status"]
                if status == "New":
                    opened += 1
                    if opened == len(invoices):
                        ready.set()
                elif status == "Settled":
                    arrived[invoice_id] = time.perf_counter()

    tasks = []
    for invoice_id, _, _ in invoices:
        tasks.append(asyncio.create_task(one(invoice_id)))
        await asyncio.sleep(0.002)
    return opened, ready, tasks


def bench_streams(url: str, backend: str, directory: Path) -> list[Measurement]:
    _store, invoices, key = _invoices(url, STREAMS)
    port = _free_port()
    log = (directory / "serve.log").open("wb")
    coinpos = Path(sys.executable).with_name("coinpos")
    server = subprocess.Popen(
        [str(coinpos), "--db", url, "serve", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("coinpos serve did not start")
            time.sleep(0.2)
        idle = _rss_mib(server.pid)
        arrived: dict[int, float] = {}
        committed: dict[int, float] = {}

        async def scenario() -> float:
            _, ready, tasks = await _open_streams(base, invoices, key, arrived)
            await asyncio.wait_for(ready.wait(), 120)
            loaded = _rss_mib(server.pid)
            writer = threading.Thread(target=_settle, args=(url, invoices, committed))
            writer.start()
            await asyncio.wait_for(asyncio.gather(*tasks), 120)
            writer.join()
            return loaded

        loaded = asyncio.run(scenario())
        delays = [arrived[i] - committed[i] for i, _, _ in invoices if i in arrived]
        missing = len(invoices) - len(delays)
        return [
            Measurement(
                "live status",
                f"commit → SSE client, {STREAMS:,} open streams (p50 / p99, {backend})",
                f"{_percentile(delays, 0.5) * 1000:.0f} / "
                f"{_percentile(delays, 0.99) * 1000:.0f} ms",
                f"{len(delays):,} events received, {missing} missing; one server process",
                "p99 < 1 s",
            ),
            Measurement(
                "live status",
                f"server memory, idle → {STREAMS:,} open streams",
                f"{idle:.0f} → {loaded:.0f} MiB",
                f"{(loaded - idle) * 1024 / STREAMS:.0f} KiB per stream",
                "",
            ),
        ]
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()


# -- invoice creation -----------------------------------------------------------------


def pos_app() -> Any:
    """The app each uvicorn worker builds: signing invoices for COINPOS_BENCH_ESCROW."""
    from coinpos.chainops.keys import LocalKey
    from coinpos.invoices.service import Issuer
    from coinpos.invoices.terms import EscrowDomain
    from coinpos.server.app import create_app
    from coinpos.server.settings import ServerSettings

    types = json.loads(BUILD.read_text())["contractTypes"]
    code = types["DepositForwarder"]["deploymentBytecode"]["bytecode"]
    issuer = Issuer(
        EscrowDomain(31337, os.environ["COINPOS_BENCH_ESCROW"]),
        bytes.fromhex(code.removeprefix("0x")),
        LocalKey(OPERATOR_KEY),
    )
    return create_app(ServerSettings(database_url=os.environ["COINPOS_BENCH_DB"], issuer=issuer))


def _start(args: list[str], env: dict[str, str], log: Path, base: str) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    process = subprocess.Popen(
        args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, **env},
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return process
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"the server did not start: {log.read_text()[-1500:]}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _group_cpu_seconds(group: int) -> float:
    """User + system CPU of every live process in the process group (the server and its
    workers): stable where wall-clock figures depend on what else the machine runs."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # fields[2] is the process group id
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def bench_invoice_creation(url: str, backend: str, directory: Path) -> list[Measurement]:
    engine = make_engine(url)
    try:
        with UnitOfWork(engine) as uow:
            store = create_store(uow, "Bench POS", "KRW")
        with UnitOfWork(engine) as uow:
            add_terminal(uow, store.store_id, "T1", "bench")
        with UnitOfWork(engine) as uow:
            key = issue_key(uow, store.store_id, "T1", KeyRole.TERMINAL).key
        with Session(engine) as session:
            session.add(Coin(chain_id=31337, symbol="BNC", address="0x" + "22" * 20, decimals=2))
            session.commit()
    finally:
        engine.dispose()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    root = str(Path(__file__).resolve().parents[1])
    server = _start(
        [sys.executable, "-m", "uvicorn", "bench.api:pos_app", "--factory", "--workers", "2",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        {"COINPOS_BENCH_DB": url, "COINPOS_BENCH_ESCROW": "0x" + "33" * 20,
         "PYTHONPATH": root},
        directory / "pos.log",
        base,
    )  # fmt: skip
    try:
        latencies: list[float] = []
        failures = 0
        path = f"/api/v1/stores/{store.store_id}/invoices"
        headers = {"Authorization": f"Bearer {key}"}

        async def terminal(client: httpx.AsyncClient, count: int) -> None:
            nonlocal failures
            for _ in range(count):
                start = time.perf_counter()
                try:
                    answer = await client.post(path, json={"coin": "BNC", "amount": "4.50"},
                                               headers=headers)  # fmt: skip
                except httpx.TransportError:
                    failures += 1
                    continue
                latencies.append(time.perf_counter() - start)
                failures += answer.status_code != 201

        cpu: dict[str, float] = {}

        async def scenario() -> float:
            limits = httpx.Limits(max_connections=CREATORS)
            async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
                await asyncio.gather(*(terminal(client, 5) for _ in range(CREATORS)))  # warm
                latencies.clear()
                start = time.perf_counter()
                server_cpu, client_cpu = _group_cpu_seconds(server.pid), time.process_time()
                per = CREATIONS // CREATORS
                await asyncio.gather(*(terminal(client, per) for _ in range(CREATORS)))
                cpu["server"] = _group_cpu_seconds(server.pid) - server_cpu
                cpu["client"] = time.process_time() - client_cpu
                return time.perf_counter() - start

        elapsed = asyncio.run(scenario())
        return [
            Measurement(
                "API",
                f"invoice creation, {CREATORS} concurrent terminals, 2 workers ({backend})",
                f"{len(latencies) / elapsed:.0f} invoices/s",
                f"p50 {_percentile(latencies, 0.5) * 1000:.0f} ms, "
                f"p99 {_percentile(latencies, 0.99) * 1000:.0f} ms; {failures} not 201",
                "≥ 300/s, p99 < 100 ms",
            ),
            Measurement(
                "API",
                "invoice creation, CPU per invoice: server (2 workers) / client",
                f"{cpu['server'] * 1000 / len(latencies):.1f} / "
                f"{cpu['client'] * 1000 / len(latencies):.1f} ms",
                f"{len(latencies):,} invoices; the ceiling of 2 cores is "
                f"{2 / (cpu['server'] + cpu['client']) * len(latencies):.0f} invoices/s",
                "",
            ),
        ]
    finally:
        _stop(server)


def run(ctx: BenchContext | None = None) -> list[Measurement]:
    rows: list[Measurement] = []
    with tempfile.TemporaryDirectory() as directory:
        with database(Path(directory)) as (url, backend):
            rows += bench_webhooks(url, backend)
        with database(Path(directory)) as (url, backend):
            rows += bench_invoice_creation(url, backend, Path(directory))
        with database(Path(directory)) as (url, backend):
            rows += bench_streams(url, backend, Path(directory))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        Measurement(r.group, r.operation, r.measured, f"{r.reference} (load {load})", r.target)
        for r in rows
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
