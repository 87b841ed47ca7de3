"""Settlement runs: every requested settlement of every store, one on-chain call per coin.

A run, for each coin with settlements still `requested` and in no batch:
1. make a batch: a random 32-byte batch id and salt, the reference keccak256(abi.encode(batchId,
   salt)) (it names no store), `payout` the sum of the settlements' amounts, `fees` the
   exchange's fees each of those stores accrued on its confirmed captures and no earlier batch
   carried (`fee_units` on each settlement); log the call (kind settle, key
   `settle-batch:<batch id>`) and link the settlements, all in one commit;
2. send `settle(token, payout, fees, reference)` through the executor, and record its
   transaction on the batch's entry and on each settlement's entry.

A batch whose call failed on chain is marked failed and its settlements go back to
`requested`, in no batch, for the next run (with a new reference). A batch whose send failed
before reaching the chain (node down) stays `requested` and the next run sends it again,
under the same key and reference: the sender finds a call that did reach the chain by its
Settled event, and the escrow refuses a reference twice. Once its Settled event is confirmed,
the ledger (coinpos.ledger, by the batch's reference) moves the stores' reserved amounts to
settled and marks the batch and its settlements settled.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from eth_abi.abi import encode
from eth_utils.crypto import keccak
from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import (
    Coin,
    Settlement,
    SettlementBatch,
    SettlementStatus,
    TxKind,
    TxStatus,
    ValidTransaction,
)
from coinpos.db.types import utcnow
from coinpos.ledger import log_request
from coinpos.settlement.executor import BatchCall, ExecutorError, SettlementExecutor
from coinpos.unit_of_work import UnitOfWork


def batch_reference(batch_id: bytes, salt: bytes) -> bytes:
    """keccak256(abi.encode(bytes32 batchId, bytes32 salt)): what `settle` carries."""
    return bytes(keccak(encode(["bytes32", "bytes32"], [batch_id, salt])))


def accrued_fee(session: Session, store_id: str, coin_id: int) -> int:
    """The exchange's fee on the store's confirmed captures of the coin that no batch has
    carried yet: the confirmed PaymentCaptured fees (the ledger applies the invoice's fee_bps,
    rounded down) less the `fee_units` of the store's settlements in a batch that did not
    fail. Summed in Python: uint256 columns are text on SQLite."""
    fees = session.scalars(
        select(ValidTransaction.fee).where(
            ValidTransaction.store_id == store_id,
            ValidTransaction.coin_id == coin_id,
            ValidTransaction.kind == TxKind.CAPTURED,
        )
    )
    carried = session.scalars(
        select(Settlement.fee_units)
        .join(SettlementBatch, SettlementBatch.id == Settlement.batch_id)
        .where(
            Settlement.store_id == store_id,
            Settlement.coin_id == coin_id,
            SettlementBatch.status != SettlementStatus.FAILED,
        )
    )
    # A reorg can take back a capture whose fee a batch already carried: never below zero.
    return max(sum(f or 0 for f in fees) - sum(c or 0 for c in carried), 0)


@dataclass(frozen=True)
class BatchResult:
    reference: str
    coin: str
    settlements: int
    stores: int
    payout: int
    fees: int
    status: SettlementStatus
    tx_hash: str | None
    error: str | None = None


def _waiting(session: Session) -> dict[int, list[Settlement]]:
    rows = session.scalars(
        select(Settlement)
        .where(Settlement.status == SettlementStatus.REQUESTED, Settlement.batch_id.is_(None))
        .order_by(Settlement.id)
    ).all()
    by_coin: dict[int, list[Settlement]] = defaultdict(list)
    for settlement in rows:
        by_coin[settlement.coin_id].append(settlement)
    return by_coin


def make_batches(uow: UnitOfWork, now: datetime | None = None) -> list[SettlementBatch]:
    """Puts every requested settlement in no batch into its coin's new batch (committed)."""
    now = now or utcnow()
    session = uow.session
    made: list[SettlementBatch] = []
    for coin_id, settlements in sorted(_waiting(session).items()):
        coin = session.get(Coin, coin_id)
        assert coin is not None  # a foreign key guarantees it
        fee_of_store: dict[str, int] = {}
        for settlement in settlements:
            if settlement.store_id not in fee_of_store:
                fee_of_store[settlement.store_id] = accrued_fee(
                    session, settlement.store_id, coin_id
                )
                # The store's first settlement in the batch carries the store's whole fee.
                settlement.fee_units = fee_of_store[settlement.store_id]
            else:
                settlement.fee_units = 0
        batch_id, salt = secrets.token_bytes(32), secrets.token_bytes(32)
        reference = "0x" + batch_reference(batch_id, salt).hex()
        payout = sum(s.amount for s in settlements)
        entry = log_request(
            session,
            f"settle-batch:0x{batch_id.hex()}",
            TxKind.SETTLE,
            coin_id=coin_id,
            amount=payout,
            reference=reference,
            chain_id=coin.chain_id,
            now=now,
        )
        batch = SettlementBatch(
            batch_id="0x" + batch_id.hex(),
            salt="0x" + salt.hex(),
            reference=reference,
            coin_id=coin_id,
            payout=payout,
            fees=sum(fee_of_store.values()),
            status=SettlementStatus.REQUESTED,
            log_entry=entry,
            created_at=now,
        )
        session.add(batch)
        for settlement in settlements:
            settlement.batch = batch
        made.append(batch)
    uow.commit()
    return made


def _unsent(session: Session) -> list[SettlementBatch]:
    return list(
        session.scalars(
            select(SettlementBatch)
            .where(SettlementBatch.status == SettlementStatus.REQUESTED)
            .order_by(SettlementBatch.id)
        )
    )


def run_settlements(
    uow: UnitOfWork, executor: SettlementExecutor, now: datetime | None = None
) -> list[BatchResult]:
    """A settlement run: batches what is requested (see the module), then sends every batch
    not sent yet, older ones first. Safe to run again."""
    make_batches(uow, now)
    return [_send(uow, batch, executor) for batch in _unsent(uow.session)]


def _send(uow: UnitOfWork, batch: SettlementBatch, executor: SettlementExecutor) -> BatchResult:
    coin = batch.coin
    entry = batch.log_entry
    call = BatchCall(
        key=entry.idempotency_key,
        token=coin.address,
        payout=batch.payout,
        fees=batch.fees,
        reference=batch.reference,
        coin_id=coin.id,
    )
    error = None
    try:
        tx_hash = executor.settle(uow, call)
    except ExecutorError as exc:
        error = str(exc)
        uow.session.refresh(entry)
        if exc.on_chain:
            _fail(uow.session, batch, error)
        else:
            entry.failure_reason = f"send failed: {error}"
        uow.commit()
    else:
        batch.status = SettlementStatus.SUBMITTED
        entry.tx_hash = tx_hash
        entry.failure_reason = None
        for settlement in batch.settlements:
            settlement.status = SettlementStatus.SUBMITTED
            settlement.log_entry.tx_hash = tx_hash
        uow.commit()
    return BatchResult(
        reference=batch.reference,
        coin=coin.symbol,
        settlements=len(batch.settlements),
        stores=len({s.store_id for s in batch.settlements}),
        payout=batch.payout,
        fees=batch.fees,
        status=batch.status,
        tx_hash=entry.tx_hash,
        error=error,
    )


def _fail(session: Session, batch: SettlementBatch, reason: str) -> None:
    """The batch's call failed on chain: the batch is over, its settlements wait for the
    next run (their reservations stand; their fee shares are free again)."""
    batch.status = SettlementStatus.FAILED
    batch.log_entry.status = TxStatus.FAILED
    batch.log_entry.failure_reason = reason
    for settlement in list(batch.settlements):
        settlement.batch = None
        settlement.fee_units = 0
        settlement.status = SettlementStatus.REQUESTED
        settlement.log_entry.tx_hash = None
