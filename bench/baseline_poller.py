"""The tracker's baseline: the best simple poller, not a straw man.

What a careful engineer writes without the tracker's range scanning:
1. for every open invoice, `balanceOf(deposit address)` at the confirmed height (head -
   depth + 1), by eth_call, sent in JSON-RPC batches of `rpc.max_batch` calls;
2. for every invoice whose balance arrived, one eth_getLogs on its deposit address over the
   tracked range (for the transaction hash, log index and block hash the ledger records),
   batched the same way;
3. all of it recorded and confirmed in ONE database transaction, with the ledger's own
   functions (so the work done per payment is the tracker's).

It still makes calls per invoice: that, not the database, is what the tracker removes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from coinpos.db.models import TransactionLogEntry, TxStatus
from coinpos.db.types import utcnow
from coinpos.ledger import DEFAULT_PENDING_DEADLINE, confirm
from coinpos.tracker import invoice_status, keys, observations
from coinpos.tracker.chain import ChainReader, as_int
from coinpos.tracker.events import TRANSFER, address_topic
from coinpos.tracker.observations import Observation
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.tracker.watchlist import WatchedInvoice, load

BALANCE_OF = bytes.fromhex("70a08231")  # balanceOf(address)
# SQLite's limit on bound parameters is far above this; it keeps IN lists modest.
IN_CHUNK = 900


class BalancePoller:
    def __init__(self, engine: Engine, rpc: JsonRpcClient, start_block: int, depth: int) -> None:
        self.engine = engine
        self.rpc = rpc
        self.chain = ChainReader(rpc)
        self.start_block = start_block
        self.depth = depth

    def run(self) -> int:
        """Reconciles every open invoice once; returns the entries confirmed."""
        chain_id = self.chain.chain_id()
        confirmed_head = self.chain.head() - self.depth + 1
        now = utcnow()
        with Session(self.engine) as session:
            watched = load(session, chain_id, now, timedelta(days=1))
            invoices = [
                (token, invoice)
                for token, by_address in watched.by_token.items()
                if token is not None
                for invoice in by_address.values()
            ]
            arrived = self._paid(invoices, confirmed_head)
            seen = self._transfers(chain_id, arrived, confirmed_head)
            observations.record(session, chain_id, seen, now, DEFAULT_PENDING_DEADLINE)
            count = self._confirm(session, chain_id, [i.id for _, i in arrived], now)
            invoice_status.refresh(session, {i.id for _, i in invoices}, None, now=now)
            session.commit()
        return count

    def _paid(
        self, invoices: Sequence[tuple[str, WatchedInvoice]], height: int
    ) -> list[tuple[str, WatchedInvoice]]:
        calls = [
            (
                "eth_call",
                [
                    {"to": token, "data": "0x" + (BALANCE_OF + _word(i.deposit_address)).hex()},
                    hex(height),
                ],
            )
            for token, i in invoices
        ]
        balances = self.rpc.batch(calls)
        return [pair for pair, balance in zip(invoices, balances, strict=True) if as_int(balance)]

    def _transfers(
        self, chain_id: int, arrived: Sequence[tuple[str, WatchedInvoice]], height: int
    ) -> list[Observation]:
        calls = [
            (
                "eth_getLogs",
                [
                    {
                        "fromBlock": hex(self.start_block),
                        "toBlock": hex(height),
                        "address": token,
                        "topics": [TRANSFER, None, address_topic(i.deposit_address)],
                    }
                ],
            )
            for token, i in arrived
        ]
        seen: list[Observation] = []
        for (_, invoice), logs in zip(arrived, self.rpc.batch(calls), strict=True):
            seen += [_observation(chain_id, invoice, log) for log in logs]
        return seen

    def _confirm(self, session: Session, chain_id: int, ids: Sequence[int], now: Any) -> int:
        count = 0
        for start in range(0, len(ids), IN_CHUNK):
            entries = session.scalars(
                select(TransactionLogEntry).where(
                    TransactionLogEntry.invoice_id.in_(ids[start : start + IN_CHUNK]),
                    TransactionLogEntry.status == TxStatus.PENDING,
                )
            ).all()
            for entry in entries:
                assert entry.tx_hash and entry.block_number is not None and entry.block_hash
                confirm(session, entry, chain_id=chain_id, tx_hash=entry.tx_hash,
                        log_index=entry.log_index or 0, block_number=entry.block_number,
                        block_hash=entry.block_hash, now=now)  # fmt: skip
                count += 1
        return count


def _word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def _observation(chain_id: int, invoice: WatchedInvoice, log: dict[str, Any]) -> Observation:
    return Observation(
        key=keys.log_key(chain_id, log["transactionHash"], as_int(log["logIndex"])),
        invoice_id=invoice.id, store_id=invoice.store_id, coin_id=invoice.coin_id,
        reference=invoice.invoice_hash, amount=as_int(log["data"]),
        tx_hash=str(log["transactionHash"]), log_index=as_int(log["logIndex"]),
        block_number=as_int(log["blockNumber"]), block_hash=str(log["blockHash"]),
        late=False,
    )  # fmt: skip
