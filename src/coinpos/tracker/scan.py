"""One block range, read in as few calls as possible.

- ERC-20 deposits: one eth_getLogs per token and per chunk of deposit addresses, with the
  addresses as an OR-list on the Transfer `to` topic.
- Escrow events: one eth_getLogs on the escrow's address, every money event at once
  (tracker.events). They are returned decoded, block-checked like the deposits; the service
  turns them into ledger entries (tracker.escrow_events), whichever transaction emitted
  them. A sweep's DepositKept/DepositReturned of an ETH invoice is also kept for the check
  at the head (`eth_balances`): the ETH left the deposit address.
- All the range's log queries (ERC-20 and escrow) go out together, in as few JSON-RPC
  batches as the batch cap allows; a query the node refuses as too large is split and
  retried in the next batch.
- ETH deposits (only while an ETH invoice is open): every block of the range with its full
  transactions, in JSON-RPC batches; a transaction to an open deposit address with a value
  counts once its receipt (batched too) says status 1. No state is read, so an ordinary full
  node serves it at any depth; ETH moved by a contract's internal call is not seen here.
- The headers of the range's end and of every block holding a payment (those not read in
  full already), in one batch: their hashes anchor the entries, are kept for reorg checks,
  and give the time for lateness.

Every observation is keyed by its transaction hash and log index (for a plain ETH transfer,
ETH_VALUE_INDEX), so the same payment re-mined in another block finds its entry again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from coinpos.tracker.chain import BlockRef, ChainReader, LogQuery, as_int, block_ref
from coinpos.tracker.errors import TrackerError
from coinpos.tracker.events import (
    BY_TOPIC,
    ESCROW_TOPICS,
    TRANSFER,
    EventSpec,
    address_topic,
    topic_address,
)
from coinpos.tracker.keys import ETH_VALUE_INDEX, log_key
from coinpos.tracker.observations import Observation
from coinpos.tracker.watchlist import WatchedInvoice, Watchlist

# Only sweeps (and a payer's reclaimDeposit) emit these: the amount left the deposit address
# for the escrow or the payer.
SWEEP_ONLY = frozenset({"DepositKept", "DepositReturned", "DepositReclaimed"})
ZERO_ADDRESS = "0x" + "00" * 20


class ReorgDuringScanError(TrackerError):
    """A log's block hash differs from the header read just after: the chain moved meanwhile."""


@dataclass(frozen=True)
class EscrowLog:
    """One escrow event of the range, decoded; its block was checked."""

    spec: EventSpec
    values: dict[str, Any]
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass
class RangeResult:
    observations: list[Observation] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    escrow_logs: list[dict[str, Any]] = field(default_factory=list)
    escrow_events: list[EscrowLog] = field(default_factory=list)
    blocks: dict[int, BlockRef] = field(default_factory=dict)
    eth_sweeps: list[Sweep] = field(default_factory=list)


@dataclass(frozen=True)
class Sweep:
    """ETH a sweep moved out of a watched invoice's deposit address (one escrow event)."""

    invoice_id: int
    amount: int
    tx_hash: str
    log_index: int
    block_number: int


@dataclass(frozen=True)
class _Seen:
    invoice: WatchedInvoice
    amount: int
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str | None
    sender: str | None
    # Another coin than the invoice's: ETH at an ERC-20 invoice's address.
    coin_id: int | None = None


def scan_range(
    chain: ChainReader,
    chain_id: int,
    watchlist: Watchlist,
    escrow: str | None,
    start: int,
    end: int,
    addresses_per_query: int,
    eth_everywhere: bool = True,
) -> RangeResult:
    result = RangeResult()
    seen: list[_Seen] = []
    # Every log query of the range (each token's address chunks, then the escrow's) in one
    # JSON-RPC batch: at scale they are most of the range's round trips.
    queries: list[LogQuery] = []
    chunk_invoices: list[dict[str, WatchedInvoice]] = []
    for token, invoices in watchlist.by_token.items():
        if token is None:
            continue
        addresses = sorted(invoices)
        for i in range(0, len(addresses), addresses_per_query):
            chunk = [address_topic(a) for a in addresses[i : i + addresses_per_query]]
            queries.append(LogQuery(start, end, token, [TRANSFER, None, chunk]))
            chunk_invoices.append(invoices)
    if escrow is not None:
        queries.append(LogQuery(start, end, escrow, [ESCROW_TOPICS]))
    answers = chain.logs(queries)

    for invoices, logs in zip(chunk_invoices, answers, strict=False):
        for log in logs:
            if log.get("removed"):
                result.removed.append(log)
                continue
            invoice = invoices.get(topic_address(log["topics"][2]))
            if invoice is not None:
                sender = topic_address(log["topics"][1])
                seen.append(_from_log(log, invoice, as_int(log["data"]), sender))

    if escrow is not None:
        escrow_logs = answers[-1]
        result.removed += [log for log in escrow_logs if log.get("removed")]
        live = [log for log in escrow_logs if not log.get("removed")]
        result.escrow_logs = live
        result.escrow_events = [_decoded(log) for log in live if log["topics"][0] in BY_TOPIC]
        result.eth_sweeps = _eth_sweeps(watchlist, result.escrow_events)

    read_in_full: dict[int, BlockRef] = {}
    if watchlist.eth or (eth_everywhere and watchlist.any_address):
        seen += _eth_deposits(chain, watchlist, start, end, read_in_full, eth_everywhere)

    wanted = {end} | {s.block_number for s in seen}
    wanted |= {e.block_number for e in result.escrow_events}
    result.blocks = {n: read_in_full[n] for n in wanted if n in read_in_full}
    result.blocks |= chain.blocks(wanted - set(read_in_full))
    if end not in result.blocks:
        raise ReorgDuringScanError(f"block {end} is gone from the chain")
    for e in result.escrow_events:
        block = result.blocks.get(e.block_number)
        if block is None or block.hash != e.block_hash:
            raise ReorgDuringScanError(f"block {e.block_number} changed during the scan")
    for s in seen:
        block = result.blocks.get(s.block_number)
        if block is None or (s.block_hash is not None and s.block_hash != block.hash):
            raise ReorgDuringScanError(f"block {s.block_number} changed during the scan")
        paid_at = datetime.fromtimestamp(block.timestamp, UTC)
        result.observations.append(
            Observation(
                key=log_key(chain_id, s.tx_hash, s.log_index),
                invoice_id=s.invoice.id,
                store_id=s.invoice.store_id,
                coin_id=s.coin_id if s.coin_id is not None else s.invoice.coin_id,
                reference=s.invoice.invoice_hash,
                amount=s.amount,
                tx_hash=s.tx_hash,
                log_index=s.log_index,
                block_number=block.number,
                block_hash=block.hash,
                late=paid_at > s.invoice.pay_deadline,
                sender=s.sender,
            )
        )
    return result


def _from_log(
    log: dict[str, Any], invoice: WatchedInvoice, amount: int, sender: str | None
) -> _Seen:
    return _Seen(
        invoice=invoice,
        amount=amount,
        tx_hash=str(log["transactionHash"]).lower(),
        log_index=as_int(log["logIndex"]),
        block_number=as_int(log["blockNumber"]),
        block_hash=str(log["blockHash"]).lower(),
        sender=sender,
    )


def _decoded(log: dict[str, Any]) -> EscrowLog:
    spec = BY_TOPIC[log["topics"][0]]
    return EscrowLog(
        spec,
        spec.decode(log),
        str(log["transactionHash"]).lower(),
        as_int(log["logIndex"]),
        as_int(log["blockNumber"]),
        str(log["blockHash"]).lower(),
    )


def _eth_sweeps(watchlist: Watchlist, events: Sequence[EscrowLog]) -> list[Sweep]:
    """ETH a sweep (or a payer's reclaim) moved out of watched deposit addresses."""
    swept: list[Sweep] = []
    for e in events:
        if e.name not in SWEEP_ONLY:
            continue
        invoice = watchlist.by_hash.get(str(e.values["invoiceHash"]))
        if invoice is None:
            continue
        if e.name == "DepositReclaimed":
            # The payer pulled the address back: `amount` of the invoice's coin, and the ETH
            # an ERC-20 invoice's address held in `ethAmount`.
            amount = int(e.values["amount" if invoice.token is None else "ethAmount"])
        elif invoice.token is None or (
            e.name == "DepositReturned" and str(e.values["token"]) == ZERO_ADDRESS
        ):
            # An ETH invoice's deposit kept or returned, or ETH sent back from an ERC-20's.
            amount = int(e.values["amount"])
        else:
            continue
        if amount:
            swept.append(Sweep(invoice.id, amount, e.tx_hash, e.log_index, e.block_number))
    return swept


def _eth_deposits(
    chain: ChainReader,
    watchlist: Watchlist,
    start: int,
    end: int,
    read: dict[int, BlockRef],
    everywhere: bool = True,
) -> list[_Seen]:
    """Plain transfers with a value to watched deposit addresses (every one with
    `everywhere`, else ETH invoices' only), from the range's blocks read in full; a reverted
    one moved nothing. `read` gets the header of every block read. ETH at an ERC-20
    invoice's address is recorded in the ETH coin: not a payment, but a transfer a sweep
    sends back to its sender."""
    watched = watchlist.any_address if everywhere else watchlist.eth
    candidates: list[tuple[dict[str, Any], BlockRef]] = []
    for raw in chain.full_blocks(range(start, end + 1)):
        if raw is None:
            raise ReorgDuringScanError(f"a block of [{start}, {end}] is gone from the chain")
        block = block_ref(raw)
        read[block.number] = block
        for tx in raw["transactions"]:
            to = tx.get("to")
            if to is not None and str(to).lower() in watched and as_int(tx["value"]) > 0:
                candidates.append((tx, block))
    if not candidates:
        return []
    receipts = chain.receipts([str(tx["hash"]) for tx, _ in candidates])
    deposits: list[_Seen] = []
    for (tx, block), receipt in zip(candidates, receipts, strict=True):
        if receipt is None or str(receipt["blockHash"]).lower() != block.hash:
            raise ReorgDuringScanError(f"block {block.number} changed during the scan")
        if as_int(receipt["status"]) != 1:
            continue
        invoice = watched[str(tx["to"]).lower()]
        deposits.append(
            _Seen(
                invoice=invoice,
                amount=as_int(tx["value"]),
                tx_hash=str(tx["hash"]).lower(),
                log_index=ETH_VALUE_INDEX,
                block_number=block.number,
                block_hash=block.hash,
                sender=str(tx["from"]).lower(),
                coin_id=None if invoice.token is None else watchlist.eth_coin_id,
            )
        )
    return deposits
