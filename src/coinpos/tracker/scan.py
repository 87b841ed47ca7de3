"""One block range, read in as few calls as possible.

- ERC-20 deposits: one eth_getLogs per token and per chunk of deposit addresses, with the
  addresses as an OR-list on the Transfer `to` topic.
- ETH deposits: a JSON-RPC batch of eth_getBalance at both ends of the range; the rise, plus
  what a sweep moved out meanwhile, is what arrived.
- Escrow events: one eth_getLogs on the escrow's address. InvoicePaid outside a sweep is a
  direct `pay`; the others let the tracker adopt the exchange's own transactions.
- The headers of the range's end and of every block holding a payment, in one batch: their
  hashes anchor the entries, are kept for reorg checks, and give the time for lateness.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from coinpos.tracker.chain import BlockRef, ChainReader, as_int
from coinpos.tracker.errors import TrackerError
from coinpos.tracker.events import (
    INVOICE_PAID,
    SWEEP_SELECTORS,
    TOPICS,
    TRANSFER,
    address_topic,
    topic_address,
)
from coinpos.tracker.keys import balance_key, log_key
from coinpos.tracker.observations import Observation
from coinpos.tracker.watchlist import WatchedInvoice, Watchlist

ESCROW_TOPICS = [
    TOPICS[name]
    for name in (
        "InvoicePaid",
        "PaymentIncreased",
        "DepositReturned",
        "PaymentCaptured",
        "PaymentVoided",
        "PaymentRefunded",
        "StoreSettled",
    )
]
# Only sweeps emit these: the amount left the deposit address for the escrow or the payer.
SWEEP_ONLY = frozenset({TOPICS["PaymentIncreased"], TOPICS["DepositReturned"]})


class ReorgDuringScanError(TrackerError):
    """A log's block hash differs from the header read just after: the chain moved meanwhile."""


@dataclass
class RangeResult:
    observations: list[Observation] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    escrow_logs: list[dict[str, Any]] = field(default_factory=list)
    blocks: dict[int, BlockRef] = field(default_factory=dict)


@dataclass(frozen=True)
class _Seen:
    invoice: WatchedInvoice
    amount: int
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str | None


def scan_range(
    chain: ChainReader,
    chain_id: int,
    watchlist: Watchlist,
    escrow: str | None,
    start: int,
    end: int,
    addresses_per_query: int,
) -> RangeResult:
    result = RangeResult()
    seen: list[_Seen] = []
    for token, invoices in watchlist.by_token.items():
        if token is None:
            continue
        addresses = sorted(invoices)
        for i in range(0, len(addresses), addresses_per_query):
            chunk = [address_topic(a) for a in addresses[i : i + addresses_per_query]]
            for log in chain.logs(start, end, token, [TRANSFER, None, chunk]):
                if log.get("removed"):
                    result.removed.append(log)
                    continue
                invoice = invoices.get(topic_address(log["topics"][2]))
                if invoice is not None:
                    seen.append(_from_log(log, invoice, as_int(log["data"])))

    swept: dict[int, int] = {}
    if escrow is not None:
        escrow_logs = chain.logs(start, end, escrow, [ESCROW_TOPICS])
        result.removed += [log for log in escrow_logs if log.get("removed")]
        live = [log for log in escrow_logs if not log.get("removed")]
        result.escrow_logs = live
        seen += _direct_payments(chain, watchlist, live, swept)

    if watchlist.eth:
        seen += _eth_deposits(chain, watchlist, start, end, swept)

    result.blocks = chain.blocks({end} | {s.block_number for s in seen})
    if end not in result.blocks:
        raise ReorgDuringScanError(f"block {end} is gone from the chain")
    for s in seen:
        block = result.blocks.get(s.block_number)
        if block is None or (s.block_hash is not None and s.block_hash != block.hash):
            raise ReorgDuringScanError(f"block {s.block_number} changed during the scan")
        paid_at = datetime.fromtimestamp(block.timestamp, UTC)
        key = (
            log_key(chain_id, s.tx_hash, s.log_index)
            if s.log_index >= 0
            else balance_key(chain_id, start, block.hash, s.invoice.id)
        )
        result.observations.append(
            Observation(
                key=key,
                invoice_id=s.invoice.id,
                store_id=s.invoice.store_id,
                coin_id=s.invoice.coin_id,
                invoice_hash=s.invoice.invoice_hash,
                amount=s.amount,
                # A balance rise has no log: (range end's hash, minus the invoice id) keeps
                # the (chain, tx hash, log index) key unique.
                tx_hash=s.tx_hash if s.log_index >= 0 else block.hash,
                log_index=s.log_index if s.log_index >= 0 else -s.invoice.id,
                block_number=block.number,
                block_hash=block.hash,
                late=paid_at > s.invoice.pay_deadline,
            )
        )
    return result


def _from_log(log: dict[str, Any], invoice: WatchedInvoice, amount: int) -> _Seen:
    return _Seen(
        invoice=invoice,
        amount=amount,
        tx_hash=str(log["transactionHash"]).lower(),
        log_index=as_int(log["logIndex"]),
        block_number=as_int(log["blockNumber"]),
        block_hash=str(log["blockHash"]).lower(),
    )


def _direct_payments(
    chain: ChainReader, watchlist: Watchlist, logs: Sequence[dict[str, Any]], swept: dict[int, int]
) -> list[_Seen]:
    """InvoicePaid of watched invoices; those in a sweep only count as ETH swept out."""
    for log in logs:
        invoice = watchlist.by_hash.get(log["topics"][1].lower())
        if log["topics"][0] in SWEEP_ONLY and invoice is not None:
            amount = as_int(log["data"][:66])
            swept[invoice.id] = swept.get(invoice.id, 0) + amount
    paid = [
        (log, watchlist.by_hash[log["topics"][1].lower()])
        for log in logs
        if log["topics"][0] == INVOICE_PAID and log["topics"][1].lower() in watchlist.by_hash
    ]
    if not paid:
        return []
    hashes = sorted({str(log["transactionHash"]) for log, _ in paid})
    selectors = {
        h: str(tx["input"])[:10] if tx else ""
        for h, tx in zip(hashes, chain.transactions(hashes), strict=True)
    }
    direct: list[_Seen] = []
    for log, invoice in paid:
        amount = as_int("0x" + log["data"][-64:])
        if selectors[str(log["transactionHash"])] in SWEEP_SELECTORS:
            swept[invoice.id] = swept.get(invoice.id, 0) + amount
        else:
            direct.append(_from_log(log, invoice, amount))
    return direct


def _eth_deposits(
    chain: ChainReader, watchlist: Watchlist, start: int, end: int, swept: dict[int, int]
) -> list[_Seen]:
    invoices = list(watchlist.eth.values())
    addresses = [i.deposit_address for i in invoices]
    after = chain.balances(addresses, end)
    before = chain.balances(addresses, start - 1) if start > 0 else [0] * len(addresses)
    deposits: list[_Seen] = []
    for invoice, was, now in zip(invoices, before, after, strict=True):
        arrived = now - was + swept.get(invoice.id, 0)
        if arrived > 0:
            # No log to point at: a balance change is anchored to the range's end block.
            deposits.append(_Seen(invoice, arrived, "", -1, end, None))
    return deposits
