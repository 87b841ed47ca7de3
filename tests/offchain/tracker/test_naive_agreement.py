"""The benchmark's two reconcilers, on a small chain behind the bench's delay proxy under
hosted-node limits: they must end in the same state, and the proxy must refuse what is over
the limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bench.baseline_poller import BalancePoller
from bench.proxy import HostedLimits, delay_proxy
from bench.tracker import (
    batched_tracker,
    deposit_addresses,
    fresh_database,
    make_payments,
)
from coinpos.db.models import Invoice, InvoiceStatus, ValidTransaction
from coinpos.tracker.errors import RpcError
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


def test_baseline_and_batched_reconcilers__agree_within_hosted_limits(
    anvil: Anvil, tmp_path: Path
) -> None:
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
    baseline_db = fresh_database(tmp_path, "baseline", token.address, addresses)
    limits = HostedLimits(max_batch=10, max_log_blocks=25, max_logs=60, max_filter_addresses=50)
    with delay_proxy(anvil.url, 1, limits) as proxy:
        client = JsonRpcClient(proxy.url, max_batch=10)
        tracker = batched_tracker(batched_db, client, first, batch_blocks=7, per_query=50)
        assert tracker.run_once().confirmed == 120
        assert BalancePoller(baseline_db, client, first, 2).run() == 120
        seen = proxy.reset()
    assert seen.refused == 0 and seen.largest_batch <= 10 and seen.http_requests > 0

    batched, baseline = _state(batched_db), _state(baseline_db)
    assert batched == baseline
    assert all(status is InvoiceStatus.SETTLED for _, status, _ in batched[1])
    assert sum(amount for _, _, amount in batched[0]) == sum(1_000 + i for i in range(120))


def test_delay_proxy__over_the_hosted_limits__refused(anvil: Anvil) -> None:
    limits = HostedLimits(max_batch=3, max_log_blocks=5, max_logs=10, max_filter_addresses=2)
    with delay_proxy(anvil.url, 0, limits) as proxy:
        client = JsonRpcClient(proxy.url, max_batch=4)
        with pytest.raises(RpcError, match="exceeds 3 calls"):
            client.batch([("eth_blockNumber", [])] * 4)
        too_long = {"fromBlock": "0x0", "toBlock": "0x5", "topics": []}
        with pytest.raises(RpcError, match="block range too large"):
            client.call("eth_getLogs", [too_long])
        wide = {
            "fromBlock": "0x0",
            "toBlock": "0x1",
            "address": [anvil.accounts[i] for i in (0, 1, 2)],
        }
        with pytest.raises(RpcError, match="filter of 3 addresses"):
            client.call("eth_getLogs", [wide])
        # Control: within every limit, the same proxy answers.
        assert client.batch([("eth_blockNumber", [])] * 3)
        assert client.call("eth_getLogs", [{**too_long, "toBlock": "0x4"}]) == []
        assert proxy.reset().refused == 4 + 1 + 1  # the whole batch, then one call each
