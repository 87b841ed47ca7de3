from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from coinpos.db.models import Store
from coinpos.unit_of_work import UnitOfWork
from coinpos.webhooks.service import EndpointView, create_endpoint
from tests.offchain.factories import make_store
from tests.offchain.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def store(engine: Engine) -> Store:
    return make_store(engine)


def register(
    engine: Engine, store_id: str, url: str, events: tuple[str, ...] = ("invoice.settled",)
) -> tuple[EndpointView, str]:
    with UnitOfWork(engine) as uow:
        return create_endpoint(uow, store_id, url, events, allow_private=True)
