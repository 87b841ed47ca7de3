"""A store registered with its terminals and catalogue in one unit of work: all or nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from coinpos.db.models import CatalogueItem, Store, Terminal
from coinpos.stores.registration import (
    ItemSpec,
    StoreSpec,
    items_of,
    read_store_file,
    register_store,
    terminals_of,
)
from coinpos.stores.service import StoreError, ensure_coin
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from coinpos.wallets import coin_address, wallet_salt
from tests.offchain.factories import make_coin

CHAIN_ID = 31337
LATTE = ItemSpec("LATTE", "Latte", "CPW", Decimal("4.50"), 10)


def count(engine: Engine, model: type) -> int:
    with UnitOfWork(engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_register_store__writes_store_terminals_and_items_priced_in_base_units(
    engine: Engine,
) -> None:
    make_coin(engine)
    spec = StoreSpec("Corner Cafe", "USD", (("POS-1", "Counter"), ("POS-2", "Terrace")), (LATTE,))
    with UnitOfWork(engine) as uow:
        store_id = register_store(uow, spec, CHAIN_ID).store_id
    with UnitOfWork(engine) as uow:
        codes = uow.session.scalars(select(Terminal.code).where(Terminal.store_id == store_id))
        assert sorted(codes) == ["POS-1", "POS-2"]
        item = uow.session.scalars(select(CatalogueItem)).one()
        assert (item.sku, item.price, item.stock) == ("LATTE", 450, 10)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (StoreSpec("Cafe", "USD", (("POS 1", "bad code"),)), "terminal code"),
        (StoreSpec("Cafe", "USD", (("POS-1", "a"), ("POS-1", "b"))), "already has a terminal"),
        (StoreSpec("Cafe", "USD", (), (LATTE, LATTE)), "already has an item"),
        (StoreSpec("Cafe", "USD", (), (ItemSpec("X", "X", "CPW", Decimal("0.001"), 1),)),
         "decimal places"),
        (StoreSpec("Cafe", "USD", (), (ItemSpec("X", "X", "NOPE", Decimal(1), 1),)), "no coin"),
        (StoreSpec("Cafe", "XXX"), "unknown fiat currency"),
    ],
)  # fmt: skip
def test_register_store__one_bad_part__writes_nothing(
    engine: Engine, spec: StoreSpec, match: str
) -> None:
    make_coin(engine)
    with UnitOfWork(engine) as uow, pytest.raises(Exception, match=match):
        register_store(uow, spec, CHAIN_ID)
    assert [count(engine, m) for m in (Store, Terminal, CatalogueItem)] == [0, 0, 0]


def test_store_file__yaml_read_and_floats_and_unknown_keys_refused(tmp_path: Path) -> None:
    good = tmp_path / "store.yaml"
    good.write_text(
        "fiat: USD\nterminals: [{code: POS-1}]\n"
        'items: [{sku: LATTE, name: Latte, coin: CPW, price: "4.50", stock: 10}]\n'
    )
    raw = read_store_file(good)
    assert terminals_of(raw["terminals"]) == (("POS-1", "POS-1"),)
    assert items_of(raw["items"]) == (LATTE,)
    with pytest.raises(InvalidInputError, match="not a float"):
        items_of([{"sku": "A", "name": "A", "coin": "CPW", "price": 4.5}])
    bad = tmp_path / "bad.yaml"
    bad.write_text("fiat: USD\nowner: 0x1234\n")
    with pytest.raises(InvalidInputError, match="unknown keys: owner"):
        read_store_file(bad)


def test_ensure_coin__known_is_reused__a_clash_is_refused(engine: Engine) -> None:
    token = "0x" + "22" * 20
    with UnitOfWork(engine) as uow:
        first = ensure_coin(uow, "CPE", CHAIN_ID, 2, token)
        assert ensure_coin(uow, "CPE", CHAIN_ID, 2, token).id == first.id
        with pytest.raises(StoreError, match="registered as"):
            ensure_coin(uow, "CPE", CHAIN_ID, 18, token)


def test_wallet_inputs__symbols_addresses_and_salts(engine: Engine) -> None:
    coin = make_coin(engine)
    with UnitOfWork(engine) as uow:
        ensure_coin(uow, "ETH", CHAIN_ID, 18)
        assert coin_address(uow, "ETH", CHAIN_ID)[0] == "0x" + "00" * 20
        assert coin_address(uow, "CPW", CHAIN_ID) == (coin.address, coin.id)
        assert coin_address(uow, "0x" + "33" * 20, CHAIN_ID)[1] is None
    assert wallet_salt("") == bytes(32)
    assert wallet_salt("0x" + "ab" * 32) == bytes.fromhex("ab" * 32)
    assert wallet_salt("alice") != wallet_salt("bob")
