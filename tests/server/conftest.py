"""The exchange server on a real port over a real, migrated database (SQLite, and
PostgreSQL for tests marked `postgres`), with a store, a terminal and its API keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine

from coinpos.apikeys.service import issue_key
from coinpos.db.models import KeyRole, Store
from coinpos.invoices.service import Issuer
from coinpos.server.app import create_app
from coinpos.server.settings import ServerSettings
from coinpos.stores.service import add_terminal
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import Shop, issuer, operator_key, shop  # noqa: F401
from tests.contracts.escrow.conftest import deploy_escrow, escrow  # noqa: F401
from tests.offchain.conftest import db_url, engine, pytest_generate_tests  # noqa: F401
from tests.offchain.factories import make_store
from tests.server.live import serving


@dataclass
class StoreKeys:
    store: Store
    terminal: str
    manager: str


def store_with_keys(
    engine: Engine,  # noqa: F811
    name: str = "Gangnam Cafe",
    store: Store | None = None,
) -> StoreKeys:
    store = store or make_store(engine, name)
    with UnitOfWork(engine) as uow:
        add_terminal(uow, store.store_id, "T1", "front counter")
    with UnitOfWork(engine) as uow:
        terminal = issue_key(uow, store.store_id, "T1", KeyRole.TERMINAL).key
    with UnitOfWork(engine) as uow:
        manager = issue_key(uow, store.store_id, "T1", KeyRole.MANAGER).key
    return StoreKeys(store, terminal, manager)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def settings(db_url: str) -> ServerSettings:  # noqa: F811
    return ServerSettings(database_url=db_url)


@pytest.fixture
def server_url(settings: ServerSettings, engine: Engine) -> Iterator[str]:  # noqa: F811
    app = create_app(settings)
    with serving(app) as url:
        yield url
    app.state.engine.dispose()


@pytest.fixture
def client(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as http:
        yield http


@pytest.fixture
def pos_server(
    db_url: str,  # noqa: F811
    shop: Shop,  # noqa: F811
    issuer: Issuer,  # noqa: F811
) -> Iterator[str]:
    """The server signing invoices for the shop's escrow on anvil."""
    app = create_app(ServerSettings(database_url=db_url, issuer=issuer))
    with serving(app) as url:
        yield url
    app.state.engine.dispose()


@pytest.fixture
def pos(pos_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=pos_server, timeout=30) as http:
        yield http
