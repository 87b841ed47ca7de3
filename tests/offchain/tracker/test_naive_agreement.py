"""The benchmark's two reconcilers, on a small chain: they must end in the same state."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bench.tracker import (
    NaivePoller,
    batched_tracker,
    deposit_addresses,
    fresh_database,
    make_payments,
)
from coinpos.db.models import Invoice, InvoiceStatus, ValidTransaction
from coinpos.tracker.rpc import JsonRpcClient
from tests.offchain.tracker.anvil import Anvil


def _state(
    engine: Engine,
) -> tuple[list[tuple[str, int, int]], list[tuple[str, InvoiceStatus, int]]]:
    with Session(engine) as session:
        valid = session.execute(
            select(
                ValidTransaction.tx_hash, ValidTransaction.log_index, ValidTransaction.amount
            ).order_by(ValidTransaction.tx_hash, ValidTransaction.log_index)
        ).all()
        invoices = session.execute(
            select(Invoice.deposit_address, Invoice.status, Invoice.amount_paid).order_by(
                Invoice.deposit_address
            )
        ).all()
    return [tuple(v) for v in valid], [tuple(i) for i in invoices]  # type: ignore[misc]


def test_naive_and_batched_reconcilers__agree(anvil: Anvil, tmp_path: Path) -> None:
    admin = anvil.accounts[0]
    token = anvil.deploy("TestToken", "Bench Coin", "BNC")
    batcher = anvil.deploy("BatchTransfer")
    token.functions.mint(admin, 10**30).transact({"from": admin})
    token.functions.approve(batcher.address, 2**256 - 1).transact({"from": admin})
    rpc = JsonRpcClient(anvil.url)
    addresses = deposit_addresses(120)
    first, last = make_payments(rpc, admin, token.address, batcher.address, addresses, 20)
    assert last - first + 1 == 20
    anvil.mine(2)

    batched_db = fresh_database(tmp_path, "batched", token.address, addresses)
    naive_db = fresh_database(tmp_path, "naive", token.address, addresses)
    summary = batched_tracker(batched_db, rpc, first, batch_blocks=7, per_query=50).run_once()
    assert summary.confirmed == 120
    assert NaivePoller(naive_db, rpc, first, 2).run() == 120

    batched, naive = _state(batched_db), _state(naive_db)
    assert batched == naive
    assert all(status is InvoiceStatus.SETTLED for _, status, _ in batched[1])
    assert sum(amount for _, _, amount in batched[0]) == sum(1_000 + i for i in range(120))
