"""How much of an invoice can still be refunded.

The escrow is the authority on what is captured and not yet refunded (its payment state,
read with a view call): a capture inside a batch or a sweep has no per-invoice entry in the
log, so the log alone would undercount. What the escrow cannot know yet is a refund the
exchange has logged whose transaction is not mined: logged but not yet sent (a crash
between the two), or sent and still waiting in the mempool. Those come off too, so two
refunds requested one after the other never count the same captured amount.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from coinpos.db.models import Invoice, TransactionLogEntry, TxKind, TxStatus
from coinpos.unit_of_work import UnitOfWork


def refunds_in_flight(uow: UnitOfWork, w3: Any, invoice: Invoice) -> int:
    """What the exchange's pending refunds of the invoice that no block holds yet will take."""
    rows = uow.session.execute(
        select(TransactionLogEntry.tx_hash, TransactionLogEntry.amount).where(
            TransactionLogEntry.invoice_id == invoice.id,
            TransactionLogEntry.kind == TxKind.REFUND,
            TransactionLogEntry.status == TxStatus.PENDING,
        )
    ).tuples()
    total = 0
    for tx_hash, amount in rows:
        if tx_hash is not None and _mined(w3, tx_hash):
            continue  # the escrow's state already shows what it did
        total += amount or 0
    return total


def _mined(w3: Any, tx_hash: str) -> bool:
    from web3.exceptions import TransactionNotFound

    try:
        return w3.eth.get_transaction_receipt(tx_hash) is not None
    except TransactionNotFound:
        return False


def refundable(available_on_chain: int, uow: UnitOfWork, w3: Any, invoice: Invoice) -> int:
    """The escrow's captured-and-not-refunded amount, less the refunds still in flight."""
    return max(available_on_chain - refunds_in_flight(uow, w3, invoice), 0)
