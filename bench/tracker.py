"""Tracker throughput, measured as a real node would serve it.

Every run goes through a delay proxy on 127.0.0.1 in front of anvil (bench/proxy.py), which
adds a fixed delay per HTTP request and counts the HTTP requests and the bytes the client
received. Each figure is a cold start: a fresh SQLite database and a new cursor catching up
on the whole range (the chain itself is already built). Figures:

- 5,000 deposit payments over 1,000 blocks, at 0, 50 and 100 ms per request: the batched
  tracker under hosted-node limits and without them, and the baseline poller
  (bench/baseline_poller.py) under the same limits;
- a warm pass of the batched tracker (nothing new since its catch-up) at 100 ms;
- scale: 50,000 open invoices over 10,000 blocks (paid in the last SCALE_PAID_BLOCKS, see
  there why), batched tracker, 100 ms, hosted limits, with the process's peak RSS;
- how long building each chain took.

Each scenario runs on an anvil of its own, started here without ape-foundry's step tracing.

"Reconcile" means: every payment recorded in the transaction log, confirmed into the valid
transaction table at depth with its block hash checked, and every invoice's status set.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from bench.baseline_poller import BalancePoller
from bench.common import BenchContext, Measurement
from bench.proxy import DelayProxy, HostedLimits, delay_proxy
from coinpos.db.engine import make_engine
from coinpos.db.migrate import upgrade
from coinpos.db.models import Coin, Invoice, Store
from coinpos.db.types import utcnow
from coinpos.tracker.chain import ChainReader, as_int
from coinpos.tracker.config import ConfirmationRule, TrackerConfig
from coinpos.tracker.errors import NodeUnavailableError
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.tracker.service import Tracker

PAYMENTS, BLOCKS = 5_000, 1_000
SCALE_PAYMENTS, SCALE_BLOCKS = 50_000, 10_000
# anvil recomputes its whole state trie for every block it mines, so a block costs in
# proportion to the state, and 10,000 blocks after 50,000 new balances would take most of an
# hour to build. The scale chain therefore mines its empty blocks first, while the state is
# small, and pays every invoice in the range's last SCALE_PAID_BLOCKS blocks.
SCALE_PAID_BLOCKS = 250
MINE_STEP = 250
LATENCIES_MS = (0, 50, 100)
SCALE_LATENCY_MS = 100
DEPTH = 2
HOSTED = HostedLimits()
# "Unlimited": the client's default batch, and every address of a token in one filter.
UNLIMITED_BATCH, UNLIMITED_ADDRESSES = 500, 100_000
STORE_ID = "0x" + keccak(text="bench-tracker-store").hex()
PAY_SELECTOR = keccak(text="pay(address,address[],uint256[])")[:4]


def deposit_addresses(count: int, seed: str = "bench") -> list[str]:
    return ["0x" + keccak(text=f"{seed}-deposit-{i}")[-20:].hex() for i in range(count)]


def make_payments(
    rpc: JsonRpcClient, payer: str, token: str, batcher: str, addresses: Sequence[str], blocks: int
) -> tuple[int, int]:
    """Pays every address (amount 1,000 + its index), spread evenly over `blocks` blocks: one
    BatchTransfer call per block, each a real ERC-20 transferFrom per address. Sent one by one
    with automine on, each mined before the next is sent, so each is in a block of its own (a
    JSON-RPC batch of sends would race for the nonce). Returns the first and the last block."""
    per_block = -(-len(addresses) // blocks)
    calls = []
    for start in range(0, len(addresses), per_block):
        chunk = list(addresses[start : start + per_block])
        amounts = [1_000 + start + i for i in range(len(chunk))]
        data = PAY_SELECTOR + encode(["address", "address[]", "uint256[]"], [token, chunk, amounts])
        calls.append(
            ("eth_sendTransaction", [{"from": payer, "to": batcher, "data": "0x" + data.hex(),
                                     "gas": hex(60_000 + 40_000 * len(chunk))}])
        )  # fmt: skip
    first = as_int(rpc.call("eth_blockNumber")) + 1
    for method, params in calls:
        tx_hash = rpc.call(method, params)
        # anvil may answer a send before it has mined it; waiting keeps one call per block
        # (on a loaded machine two sends could otherwise share one).
        while rpc.call("eth_getTransactionReceipt", [tx_hash]) is None:
            time.sleep(0.001)
    return first, as_int(rpc.call("eth_blockNumber"))


def fresh_database(directory: Path, name: str, token: str, addresses: Sequence[str]) -> Engine:
    """A migrated SQLite database with one store, the token, and an invoice per address."""
    engine = make_engine(f"sqlite:///{directory / name}.db")
    upgrade(engine)
    now = utcnow()
    with Session(engine) as session:
        session.add(Store(store_id=STORE_ID, name="Bench Store", fiat="KRW", created_at=now))
        coin = Coin(chain_id=31337, symbol="BNC", address=token, decimals=18)
        session.add(coin)
        session.flush()
        deadline = now + timedelta(hours=1)
        session.execute(
            insert(Invoice),
            [
                {
                    "invoice_hash": "0x" + keccak(text=f"{name}-{i}").hex(),
                    "store_id": STORE_ID,
                    "coin_id": coin.id,
                    "amount": 1_000 + i,
                    "pay_deadline": deadline,
                    "authorization_expiry": deadline + timedelta(days=1),
                    "refund_deadline": deadline + timedelta(days=7),
                    "fee_bps": 100,
                    "salt": "0x" + keccak(text=f"salt-{i}").hex(),
                    "deposit_address": address,
                    "payment_uri": f"ethereum:{address}",
                    "created_at": now,
                }
                for i, address in enumerate(addresses)
            ],
        )
        session.commit()
    return engine


def batched_tracker(
    engine: Engine,
    rpc: JsonRpcClient,
    start_block: int,
    batch_blocks: int = 2_000,
    per_query: int = 1_000,
) -> Tracker:
    config = TrackerConfig(
        rule=ConfirmationRule(depth=DEPTH),
        start_block=start_block,
        batch_blocks=batch_blocks,
        addresses_per_query=per_query,
    )
    return Tracker(engine, ChainReader(rpc), config)


@dataclass(frozen=True)
class Chain:
    """A token whose deposits were paid on the bench chain, and where they start."""

    token: str
    addresses: list[str]
    first_block: int
    build_seconds: float


@contextmanager
def plain_anvil() -> Iterator[str]:
    """An anvil of the tracker bench's own, as a node runs it: without ape-foundry's step
    tracing (which makes every block about ten times slower to mine)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen(
        ["anvil", "--port", str(port), "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        rpc = JsonRpcClient(url)
        for _ in range(200):
            try:
                rpc.call("eth_chainId")
                break
            except NodeUnavailableError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def send_transaction(rpc: JsonRpcClient, tx: dict[str, Any]) -> Any:
    tx_hash = rpc.call("eth_sendTransaction", [tx])
    # anvil may answer a send before it has mined it.
    while (receipt := rpc.call("eth_getTransactionReceipt", [tx_hash])) is None:
        time.sleep(0.01)
    if as_int(receipt["status"]) != 1:
        raise RuntimeError(f"bench setup transaction failed: {receipt}")
    return receipt


def _deploy(rpc: JsonRpcClient, sender: str, contract_type: Any, args: bytes = b"") -> str:
    code = contract_type.deployment_bytecode.bytecode
    tx = {"from": sender, "data": code + args.hex(), "gas": hex(5_000_000)}
    return str(send_transaction(rpc, tx)["contractAddress"])


def _call(rpc: JsonRpcClient, sender: str, to: str, signature: str, *args: Any) -> None:
    types = signature[signature.index("(") + 1 : -1].split(",")
    data = keccak(text=signature)[:4] + encode(types, list(args))
    send_transaction(
        rpc, {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": hex(200_000)}
    )


def build_chain(
    ctx: BenchContext, rpc: JsonRpcClient, payments: int, blocks: int, paid_blocks: int
) -> Chain:
    """A new token, and `payments` deposits to fresh addresses in the last `paid_blocks` of
    `blocks` blocks (the others mined empty first)."""
    started = time.perf_counter()
    sender = str(rpc.call("eth_accounts")[0])
    token = _deploy(
        rpc, sender, ctx.project.TestToken.contract_type, encode(["string", "string"], ["B", "B"])
    )
    batcher = _deploy(rpc, sender, ctx.project.BatchTransfer.contract_type)
    _call(rpc, sender, token, "mint(address,uint256)", sender, 10**30)
    _call(rpc, sender, token, "approve(address,uint256)", batcher, 2**256 - 1)
    first = as_int(rpc.call("eth_blockNumber")) + 1
    # In steps, each answered well within the client's timeout (a timed-out call is retried,
    # which would mine twice).
    for step in range(0, blocks - paid_blocks, MINE_STEP):
        rpc.call("anvil_mine", [hex(min(MINE_STEP, blocks - paid_blocks - step))])
    addresses = deposit_addresses(payments, seed=f"bench-{payments}")
    make_payments(rpc, sender, token, batcher, addresses, paid_blocks)
    rpc.call("anvil_mine", [hex(DEPTH)])
    return Chain(token, addresses, first, time.perf_counter() - started)


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float
    node_seconds: float
    http_requests: int
    rpc_calls: int
    mb_received: float
    largest_batch: int
    confirmed: int
    peak_rss_mb: float | None = None

    def figure(self) -> str:
        return (
            f"{self.seconds:.2f} s ({self.cpu_seconds:.2f} s CPU here, "
            f"{self.node_seconds:.2f} s in anvil); "
            f"{self.http_requests:,} HTTP requests "
            f"({self.rpc_calls:,} calls, at most {self.largest_batch} in one), "
            f"{self.mb_received:.1f} MB received"
        )


def _reset_peak_rss() -> bool:
    """Restarts the kernel's high-water mark of this process's RSS (Linux 4.0+)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def timed(proxy: DelayProxy, work: Callable[[], int]) -> Run:
    proxy.reset()
    rss = _reset_peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    confirmed = work()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    seen = proxy.reset()
    if seen.refused:
        raise RuntimeError(f"the proxy refused {seen.refused} calls over the hosted limits")
    return Run(
        seconds, cpu, seen.node_seconds, seen.http_requests, seen.rpc_calls,
        seen.bytes_received / 1e6, seen.largest_batch, confirmed, _peak_rss_mb() if rss else None,
    )  # fmt: skip


class Bench:
    """Runs a reconciler of one kind behind the proxy, each time into a fresh database."""

    def __init__(self, upstream: str, directory: Path) -> None:
        self.upstream = upstream
        self.directory = directory
        self.runs = 0

    def database(self, chain: Chain) -> Engine:
        self.runs += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        return fresh_database(self.directory, f"run-{self.runs}", chain.token, chain.addresses)

    def batched(self, chain: Chain, latency_ms: int, limits: HostedLimits | None) -> Run:
        engine = self.database(chain)
        with delay_proxy(self.upstream, latency_ms, limits) as proxy:
            tracker = self._tracker(engine, proxy.url, chain, limits)
            run = timed(proxy, lambda: tracker.run_once().confirmed)
        engine.dispose()
        return self._checked(run, chain, "batched")

    def batched_warm(self, chain: Chain, latency_ms: int) -> Run:
        """A second pass right after the catch-up: the steady state, nothing new to read."""
        engine = self.database(chain)
        with delay_proxy(self.upstream, 0, HOSTED) as proxy:
            tracker = self._tracker(engine, proxy.url, chain, HOSTED)
            self._checked(timed(proxy, lambda: tracker.run_once().confirmed), chain, "batched")
            proxy.delay_ms = latency_ms
            run = timed(proxy, lambda: tracker.run_once().confirmed)
        engine.dispose()
        return run

    def baseline(self, chain: Chain, latency_ms: int) -> Run:
        engine = self.database(chain)
        with delay_proxy(self.upstream, latency_ms, HOSTED) as proxy:
            rpc = JsonRpcClient(proxy.url, max_batch=HOSTED.max_batch)
            poller = BalancePoller(engine, rpc, chain.first_block, DEPTH)
            run = timed(proxy, poller.run)
        engine.dispose()
        return self._checked(run, chain, "baseline")

    @staticmethod
    def _tracker(engine: Engine, url: str, chain: Chain, limits: HostedLimits | None) -> Tracker:
        if limits is None:
            rpc = JsonRpcClient(url, max_batch=UNLIMITED_BATCH)
            return batched_tracker(engine, rpc, chain.first_block, per_query=UNLIMITED_ADDRESSES)
        rpc = JsonRpcClient(url, max_batch=limits.max_batch)
        return batched_tracker(
            engine, rpc, chain.first_block, batch_blocks=limits.max_log_blocks,
            per_query=limits.max_filter_addresses,
        )  # fmt: skip

    @staticmethod
    def _checked(run: Run, chain: Chain, what: str) -> Run:
        if run.confirmed != len(chain.addresses):
            raise RuntimeError(
                f"{what}: reconciled {run.confirmed} of {len(chain.addresses)} payments"
            )
        return run


def run(ctx: BenchContext) -> list[Measurement]:
    rows: list[Measurement] = []

    def row(operation: str, measured: str, reference: str = "", target: str = "") -> None:
        rows.append(Measurement("tracker", operation, measured, reference, target))

    # On tmpfs where there is one: the figures are the tracker's, not the disk's fsync.
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as directory:
        with plain_anvil() as url:
            _latencies(ctx, Bench(url, Path(directory) / "small"), row)
        with plain_anvil() as url:
            _scale(ctx, Bench(url, Path(directory) / "scale"), row)
    return rows


Row = Callable[..., None]


def _latencies(ctx: BenchContext, bench: Bench, row: Row) -> None:
    small = build_chain(ctx, JsonRpcClient(bench.upstream, timeout=300), PAYMENTS, BLOCKS, BLOCKS)
    row(
        f"build the chain: {PAYMENTS:,} payments over {BLOCKS:,} blocks "
        "(BatchTransfer, one transaction per block)",
        f"{small.build_seconds:.1f} s",
    )
    label = f"{PAYMENTS:,} deposits / {BLOCKS:,} blocks, cold"
    for latency in LATENCIES_MS:
        limited = bench.batched(small, latency, HOSTED)
        unlimited = bench.batched(small, latency, None)
        baseline = bench.baseline(small, latency)
        conditions = f"{label}, {latency} ms/request"
        cost = (
            f"hosted limits cost {limited.seconds - unlimited.seconds:+.2f} s, "
            f"{limited.http_requests - unlimited.http_requests:+,} requests"
        )
        row(f"batched, {conditions}, hosted limits", limited.figure(),
            target="< 10 s" if latency == 0 else "")  # fmt: skip
        row(f"batched, {conditions}, no limits", unlimited.figure(), reference=cost)
        row(f"baseline poller, {conditions}, hosted limits", baseline.figure())
        row(f"baseline / batched, {conditions}, hosted limits",
            f"{baseline.seconds / limited.seconds:.1f}x")  # fmt: skip
    warm = bench.batched_warm(small, SCALE_LATENCY_MS)
    row(
        f"batched, {PAYMENTS:,} open invoices, warm (no new blocks), "
        f"{SCALE_LATENCY_MS} ms/request, hosted limits",
        warm.figure(),
    )


def _scale(ctx: BenchContext, bench: Bench, row: Row) -> None:
    scale = build_chain(
        ctx,
        JsonRpcClient(bench.upstream, timeout=300),
        SCALE_PAYMENTS,
        SCALE_BLOCKS,
        SCALE_PAID_BLOCKS,
    )
    row(
        f"build the chain: {SCALE_BLOCKS - SCALE_PAID_BLOCKS:,} empty blocks, then "
        f"{SCALE_PAYMENTS:,} payments over {SCALE_PAID_BLOCKS:,} blocks",
        f"{scale.build_seconds:.1f} s",
    )
    at_scale = bench.batched(scale, SCALE_LATENCY_MS, HOSTED)
    rss = "n/a" if at_scale.peak_rss_mb is None else f"{at_scale.peak_rss_mb:,.0f} MB"
    row(
        f"batched, {SCALE_PAYMENTS:,} open invoices (all paid, in the last "
        f"{SCALE_PAID_BLOCKS} blocks) / {SCALE_BLOCKS:,} blocks, cold, "
        f"{SCALE_LATENCY_MS} ms/request, hosted limits",
        at_scale.figure(),
        target="< 30 s",
    )
    row("batched at scale: peak RSS of the bench process during that run", rss,
        reference="ape and the compiled project included")  # fmt: skip
