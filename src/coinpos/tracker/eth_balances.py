"""ETH that reached a deposit address without a transaction of its own: flagged for staff.

The scan sees plain transfers only. ETH sent by a contract's internal call (a smart-wallet
payment, say) moves no transaction value to the address, so the scan cannot see it without
traces. What it can see at the head is the address's balance: it should be what the
recorded deposits brought, less what sweeps moved out. More than that arrived unseen, and
staff are told once per invoice (an `unexplained_deposit` notification), since crediting or
ignoring it silently would both be wrong. Only `latest` is read, never an old block.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coinpos.db.models import EthDepositSweep, TransactionLogEntry, TxStatus
from coinpos.tracker.chain import ChainReader
from coinpos.tracker.keys import ETH_VALUE_INDEX
from coinpos.tracker.outbox import notify_many
from coinpos.tracker.scan import Sweep
from coinpos.tracker.watchlist import WatchedInvoice

_CHUNK = 900


def record_sweeps(session: Session, chain_id: int, sweeps: Sequence[Sweep]) -> None:
    if not sweeps:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(EthDepositSweep).on_conflict_do_nothing(
            index_elements=["chain_id", "tx_hash", "log_index"]
        ),
        [
            {"chain_id": chain_id, "tx_hash": s.tx_hash, "log_index": s.log_index,
             "invoice_id": s.invoice_id, "amount": s.amount, "block_number": s.block_number}
            for s in sweeps
        ],
    )  # fmt: skip


def expected_balances(
    session: Session, chain_id: int, invoice_ids: Sequence[int]
) -> dict[int, int]:
    """What each invoice's deposit address should hold: deposits on the chain as it stands
    (confirmed, or pending with a block), less what sweeps moved out. Summed in Python:
    uint256 columns are text on SQLite."""
    expected = dict.fromkeys(invoice_ids, 0)
    entry = TransactionLogEntry
    for start in range(0, len(invoice_ids), _CHUNK):
        part = invoice_ids[start : start + _CHUNK]
        arrived = session.execute(
            select(entry.invoice_id, entry.amount).where(
                entry.chain_id == chain_id,
                entry.invoice_id.in_(part),
                entry.log_index == ETH_VALUE_INDEX,
                entry.block_hash.is_not(None),
                entry.status.in_([TxStatus.PENDING, TxStatus.CONFIRMED]),
            )
        )
        for invoice_id, amount in arrived:
            if invoice_id is not None:
                expected[invoice_id] += amount or 0
        swept = session.execute(
            select(EthDepositSweep.invoice_id, EthDepositSweep.amount).where(
                EthDepositSweep.chain_id == chain_id, EthDepositSweep.invoice_id.in_(part)
            )
        )
        for invoice_id, amount in swept:
            expected[invoice_id] -= amount
    return expected


def flag_unexplained(
    session: Session,
    chain: ChainReader,
    chain_id: int,
    invoices: Sequence[WatchedInvoice],
    scanned_to: int,
    now: datetime,
) -> int:
    """Compares the balances at the head with what the log explains; returns how many
    addresses hold more. Skipped when a block arrived since the scan reached `scanned_to`:
    its deposits are not recorded yet, and the next pass looks again."""
    if not invoices:
        return 0
    head, balances = chain.balances_at_head([i.deposit_address for i in invoices])
    if head != scanned_to:
        return 0
    expected = expected_balances(session, chain_id, [i.id for i in invoices])
    rows = [
        (
            f"unexplained_deposit:{chain_id}:{invoice.id}",
            {
                "invoice_hash": invoice.invoice_hash,
                "store_id": invoice.store_id,
                "deposit_address": invoice.deposit_address,
                "balance": str(balance),
                "explained": str(expected[invoice.id]),
                "unexplained": str(balance - expected[invoice.id]),
                "block": head,
                "reason": "the deposit address holds more ETH than the transactions seen "
                "sent it (an internal transfer?); it is neither credited nor ignored",
            },
        )
        for invoice, balance in zip(invoices, balances, strict=True)
        if balance > expected[invoice.id]
    ]
    # The dedupe key makes it once per invoice, however many passes see it.
    notify_many(session, "unexplained_deposit", rows, now)
    return len(rows)
