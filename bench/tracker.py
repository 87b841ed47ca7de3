"""Tracker throughput: reconcile 5,000 deposit payments spread over 1,000 blocks, with the
batched tracker and with a naive one-call-per-invoice poller, in the same run on the same
chain, each into its own fresh SQLite database.

"Reconcile" means: every payment recorded in the transaction log, confirmed into the valid
transaction table at depth with its block hash checked, and every invoice's status set.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from eth_abi.abi import encode
from eth_utils.crypto import keccak
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from bench.common import BenchContext, Measurement
from coinpos.db.engine import make_engine
from coinpos.db.migrate import upgrade
from coinpos.db.models import Coin, Invoice, Store, TransactionLogEntry, TxStatus
from coinpos.db.types import utcnow
from coinpos.ledger import DEFAULT_PENDING_DEADLINE, confirm
from coinpos.tracker import invoice_status, keys, observations
from coinpos.tracker.chain import ChainReader, as_int
from coinpos.tracker.config import ConfirmationRule, TrackerConfig
from coinpos.tracker.events import TRANSFER, address_topic
from coinpos.tracker.observations import Observation
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.tracker.service import Tracker
from coinpos.tracker.watchlist import WatchedInvoice, load

PAYMENTS = 5_000
BLOCKS = 1_000
DEPTH = 2
STORE_ID = "0x" + keccak(text="bench-tracker-store").hex()
PAY_SELECTOR = keccak(text="pay(address,address[],uint256[])")[:4]


def deposit_addresses(count: int, seed: str = "bench") -> list[str]:
    return ["0x" + keccak(text=f"{seed}-deposit-{i}")[-20:].hex() for i in range(count)]


def make_payments(
    rpc: JsonRpcClient, payer: str, token: str, batcher: str, addresses: Sequence[str], blocks: int
) -> tuple[int, int]:
    """Pays every address (amount 1,000 + its index), spread evenly over `blocks` blocks: one
    BatchTransfer call per block, each a real ERC-20 transferFrom per address. Sent one by one
    with automine on, so each call is mined in a block of its own (a JSON-RPC batch of sends
    would race for the nonce). Returns the first and the last block."""
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
    hashes = [rpc.call(method, params) for method, params in calls]
    # anvil answers a send before it has mined it: wait for the last one.
    while rpc.call("eth_getTransactionReceipt", [hashes[-1]]) is None:
        time.sleep(0.01)
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
                    "min_fee_bps": 0,
                    "max_fee_bps": 100,
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


class NaivePoller:
    """The design the tracker replaces: per open invoice, one eth_getLogs over the whole
    range for its deposit address, then its payments recorded and confirmed on their own."""

    def __init__(self, engine: Engine, rpc: JsonRpcClient, start_block: int, depth: int) -> None:
        self.engine = engine
        self.chain = ChainReader(rpc)
        self.start_block = start_block
        self.depth = depth

    def run(self) -> int:
        chain_id = self.chain.chain_id()
        with Session(self.engine) as session:
            watched = load(session, chain_id, utcnow(), timedelta(days=1))
        head = self.chain.head()
        confirmed = 0
        for token, invoices in watched.by_token.items():
            for address, invoice in invoices.items():
                confirmed += self._poll(chain_id, head, token, address, invoice)
        return confirmed

    def _poll(
        self, chain_id: int, head: int, token: str | None, address: str, invoice: WatchedInvoice
    ) -> int:
        logs = self.chain.logs(
            self.start_block, head, token or "", [TRANSFER, None, address_topic(address)]
        )
        deep = [log for log in logs if as_int(log["blockNumber"]) <= head - self.depth + 1]
        seen = [
            Observation(
                key=keys.log_key(chain_id, log["transactionHash"], as_int(log["logIndex"])),
                invoice_id=invoice.id, store_id=invoice.store_id, coin_id=invoice.coin_id,
                invoice_hash=invoice.invoice_hash, amount=as_int(log["data"]),
                tx_hash=str(log["transactionHash"]), log_index=as_int(log["logIndex"]),
                block_number=as_int(log["blockNumber"]), block_hash=str(log["blockHash"]),
                late=False,
            )
            for log in deep
        ]  # fmt: skip
        now = utcnow()
        with Session(self.engine) as session:
            observations.record(session, chain_id, seen, now, DEFAULT_PENDING_DEADLINE)
            entries = session.scalars(
                select(TransactionLogEntry).where(
                    TransactionLogEntry.invoice_id == invoice.id,
                    TransactionLogEntry.status == TxStatus.PENDING,
                )
            ).all()
            for entry in entries:
                assert entry.tx_hash and entry.block_number is not None and entry.block_hash
                confirm(session, entry, chain_id=chain_id, tx_hash=entry.tx_hash,
                        log_index=entry.log_index or 0, block_number=entry.block_number,
                        block_hash=entry.block_hash, now=now)  # fmt: skip
            invoice_status.refresh(session, {invoice.id}, None, now=now)
            session.commit()
        return len(entries)


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


def run(ctx: BenchContext) -> list[Measurement]:
    admin = ctx.admin
    token = admin.deploy(ctx.project.TestToken, "Bench Coin", "BNC")
    batcher = admin.deploy(ctx.project.BatchTransfer)
    token.mint(admin, 10**30, sender=admin)
    token.approve(batcher, 2**256 - 1, sender=admin)
    rpc = JsonRpcClient(ctx.chain.provider.uri)
    addresses = deposit_addresses(PAYMENTS)
    first, _ = make_payments(rpc, admin.address, token.address, batcher.address, addresses, BLOCKS)
    rpc.call("anvil_mine", [hex(DEPTH)])

    with tempfile.TemporaryDirectory() as directory:
        batched_db = fresh_database(Path(directory), "batched", token.address, addresses)
        naive_db = fresh_database(Path(directory), "naive", token.address, addresses)

        started = time.perf_counter()
        summary = batched_tracker(batched_db, rpc, first).run_once()
        batched = time.perf_counter() - started

        started = time.perf_counter()
        naive_confirmed = NaivePoller(naive_db, rpc, first, DEPTH).run()
        naive = time.perf_counter() - started
        for engine in (batched_db, naive_db):
            engine.dispose()

    if summary.confirmed != PAYMENTS or naive_confirmed != PAYMENTS:
        raise RuntimeError(
            f"reconciled {summary.confirmed} (batched) and {naive_confirmed} (naive) "
            f"of {PAYMENTS} payments"
        )
    label = f"{PAYMENTS:,} deposits over {BLOCKS:,} blocks"
    return [
        Measurement("tracker", f"batched: reconcile {label}", f"{batched:.2f} s", target="< 10 s"),
        Measurement("tracker", f"naive poller: reconcile {label}", f"{naive:.2f} s"),
        Measurement("tracker", "naive / batched", f"{naive / batched:.1f}x", target=">= 20x"),
    ]
