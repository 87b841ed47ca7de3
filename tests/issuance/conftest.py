"""A migrated database (tests.offchain) beside the test chain, with a customer and the coin."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from coinpos.db.models import Coin
from coinpos.stores.service import add_coin
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.conftest import db_url, engine, pytest_generate_tests  # noqa: F401
from tests.offchain.factories import make_customer

CHAIN_ID = 31337


@pytest.fixture
def cpw(engine: Engine, emoney: Any) -> Coin:  # noqa: F811
    """The e-money coin, known to the database, and the customer minji who buys it."""
    make_customer(engine)
    with UnitOfWork(engine) as uow:
        return add_coin(uow, "CPW", CHAIN_ID, 2, str(emoney.address))
