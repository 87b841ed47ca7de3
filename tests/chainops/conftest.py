"""A deployed escrow, a migrated database with a store and its coins, and the operator key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from coinpos.chainops.escrow import Escrow, escrow_from_ape, forwarder_code
from coinpos.chainops.keys import LocalKey
from coinpos.chainops.sender import TransactionSender
from coinpos.db.models import Coin, Store
from coinpos.invoices.service import Issuer, NewInvoice, issue_invoice
from coinpos.invoices.terms import EscrowDomain
from coinpos.stores.service import add_coin
from coinpos.unit_of_work import UnitOfWork
from tests.contracts.escrow.conftest import FUNDS, deploy_escrow, escrow, funded  # noqa: F401
from tests.offchain.conftest import db_url, engine, pytest_generate_tests  # noqa: F401
from tests.offchain.factories import make_store

CHAIN_ID = 31337


@dataclass
class Shop:
    engine: Engine
    store: Store
    cpw: Coin
    eth: Coin


@pytest.fixture
def shop(engine: Engine, emoney: Any) -> Shop:  # noqa: F811
    store = make_store(engine)
    with UnitOfWork(engine) as uow:
        cpw = add_coin(uow, "CPW", CHAIN_ID, 2, str(emoney.address))
    with UnitOfWork(engine) as uow:
        eth = add_coin(uow, "ETH", CHAIN_ID, 18, None)
    return Shop(engine, store, cpw, eth)


@pytest.fixture
def operator_key(operator: Any) -> LocalKey:
    return LocalKey(operator.private_key)


@pytest.fixture
def escrow_client(escrow: Any) -> Escrow:  # noqa: F811
    return escrow_from_ape(escrow)


@pytest.fixture
def sender(escrow_client: Escrow, operator_key: LocalKey) -> TransactionSender:
    return TransactionSender(escrow_client, operator_key, receipt_timeout=10)


@pytest.fixture
def issuer(
    chain: Any,
    escrow: Any,  # noqa: F811
    project: Any,
    operator_key: LocalKey,
    tmp_path: Path,
) -> Issuer:
    return Issuer(
        EscrowDomain(chain.chain_id, str(escrow.address)),
        forwarder_code(project),
        operator_key,
        qr_dir=tmp_path / "out",
    )


@pytest.fixture
def chain_now(chain: Any) -> Callable[[], datetime]:
    return lambda: datetime.fromtimestamp(chain.pending_timestamp, UTC)


@pytest.fixture
def issue(shop: Shop, issuer: Issuer, chain_now: Callable[[], datetime]) -> Callable[..., Any]:
    """Factory: issues an invoice for the shop (CPW, 123.45 by default); returns the row."""

    def make(**changes: Any) -> Any:
        fields: dict[str, Any] = {"store_id": shop.store.store_id, "coin": "CPW", "amount": 12_345}
        fields.update(changes)
        with UnitOfWork(shop.engine) as uow:
            return issue_invoice(uow, NewInvoice(**fields), issuer, now=chain_now())

    return make


@pytest.fixture
def track(shop: Shop, chain: Any, escrow: Any) -> Callable[[], Any]:  # noqa: F811
    """Runs the real tracker once over ape's anvil (depth 1): what it records is what a sweep
    attests."""
    from coinpos.chainops.escrow import abi_of
    from coinpos.tracker.chain import ChainReader
    from coinpos.tracker.config import ConfirmationRule, TrackerConfig
    from coinpos.tracker.revert import ErrorDecoder
    from coinpos.tracker.rpc import JsonRpcClient
    from coinpos.tracker.service import Tracker

    tracker = Tracker(
        shop.engine,
        ChainReader(JsonRpcClient(chain.provider.uri)),
        TrackerConfig(escrow=str(escrow.address), rule=ConfirmationRule(depth=1)),
        ErrorDecoder([abi_of(escrow.contract_type)]),
        clock=lambda: datetime.fromtimestamp(chain.pending_timestamp, UTC),
    )
    return tracker.run_once
