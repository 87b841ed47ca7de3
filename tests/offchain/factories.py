"""Test data builders that go through the services, so tests start from valid state."""

from __future__ import annotations

from sqlalchemy import Engine

from coinpos.customers.service import NewCustomer, register
from coinpos.db.models import Coin, Customer, CustomerType, Store
from coinpos.stores.service import add_coin, create_store
from coinpos.unit_of_work import UnitOfWork

PASSWORD = "correct horse battery"


def make_store(engine: Engine, name: str = "Gangnam Cafe", fiat: str = "KRW") -> Store:
    with UnitOfWork(engine) as uow:
        return create_store(uow, name, fiat, "Hana Bank", "123-456-789")


def make_coin(
    engine: Engine, symbol: str = "CPW", decimals: int = 2, chain_id: int = 31337
) -> Coin:
    with UnitOfWork(engine) as uow:
        return add_coin(uow, symbol, chain_id, decimals, "0x" + "11" * 20)


def make_customer(engine: Engine, login_id: str = "minji") -> Customer:
    with UnitOfWork(engine) as uow:
        return register(
            uow,
            NewCustomer(
                login_id=login_id,
                name="Kim Minji",
                customer_type=CustomerType.INDIVIDUAL,
                language="ko",
                country_code="KR",
                email="minji@example.com",
                latitude_e6=37_497_942,
                longitude_e6=127_027_621,
            ),
            PASSWORD,
        )
