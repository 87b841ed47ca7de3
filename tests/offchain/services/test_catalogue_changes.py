"""Catalogue changes by staff: add in whole coins, update, remove keeping invoice history."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from coinpos.catalogue.service import (
    CatalogueError,
    ItemChange,
    add_priced_item,
    get_item,
    list_items,
    remove_item,
    take_stock,
    update_item,
)
from coinpos.chainops.keys import LocalKey
from coinpos.db.models import CatalogueItem, InvoiceLine, Store
from coinpos.invoices.service import (
    CartLine,
    InvoiceError,
    Issuer,
    NewInvoice,
    invoice_items,
    issue_invoice,
)
from coinpos.invoices.terms import EscrowDomain
from coinpos.money import MoneyError
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from tests.offchain.factories import make_coin, make_store


@pytest.fixture
def store(engine: Engine) -> Store:
    store = make_store(engine)
    make_coin(engine, "CPW", 2)
    with UnitOfWork(engine) as uow:
        add_priced_item(uow, store.store_id, "LATTE", "Latte", "CPW", Decimal("4.50"), 10)
    return store


def _item(engine: Engine, store: Store, sku: str = "LATTE") -> tuple[str, int, int]:
    """The item's (name, price, stock)."""
    with UnitOfWork(engine) as uow:
        item = get_item(uow, store.store_id, sku)
        return item.name, item.price, item.stock


def _sell(engine: Engine, store: Store, tmp_path: Path, quantity: int = 1) -> None:
    issuer = Issuer(
        EscrowDomain(31337, "0x" + "22" * 20),
        bytes.fromhex("6000"),
        LocalKey("0x" + "42" * 32),
        tmp_path,
    )
    with UnitOfWork(engine) as uow:
        issue_invoice(
            uow,
            NewInvoice(store.store_id, "CPW", cart=(CartLine("LATTE", quantity),)),
            issuer,
        )


def test_add_priced_item__whole_coins_to_base_units__finer_refused(
    engine: Engine, store: Store
) -> None:
    assert _item(engine, store) == ("Latte", 450, 10)
    with UnitOfWork(engine) as uow, pytest.raises(MoneyError, match="more than 2 decimal"):
        add_priced_item(uow, store.store_id, "TEA", "Tea", "CPW", Decimal("0.001"), 1)
    with UnitOfWork(engine) as uow, pytest.raises(CatalogueError, match="already has"):
        add_priced_item(uow, store.store_id, "LATTE", "Latte", "CPW", Decimal("1"), 1)
    with UnitOfWork(engine) as uow:
        assert [i.sku for i in list_items(uow, store.store_id)] == ["LATTE"]


@pytest.mark.postgres
def test_update_item__price_and_stock__old_invoices_keep_their_price(
    engine: Engine, store: Store, tmp_path: Path
) -> None:
    _sell(engine, store, tmp_path, 2)
    with UnitOfWork(engine) as uow:
        item = update_item(
            uow, store.store_id, "LATTE", ItemChange(price=Decimal("5"), add_stock=5)
        )
        assert (item.price, item.stock) == (500, 13)
    with UnitOfWork(engine) as uow:
        update_item(uow, store.store_id, "LATTE", ItemChange(name="Big latte", stock=4))
    assert _item(engine, store) == ("Big latte", 500, 4)
    with UnitOfWork(engine) as uow:
        lines = uow.session.scalars(select(InvoiceLine)).all()
        assert [(line.quantity, line.unit_price) for line in lines] == [(2, 450)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (ItemChange(), "nothing to change"),
        (ItemChange(price=Decimal("0")), "more than zero"),
        (ItemChange(price=Decimal("1.234")), "more than 2 decimal places"),
        (ItemChange(stock=-1), "must not be negative"),
        (ItemChange(stock=1, add_stock=1), "not both"),
        (ItemChange(add_stock=0), "must be positive"),
        (ItemChange(name="  "), "must not be empty"),
        # One bad field refuses the good one with it.
        (ItemChange(name="Mocha", price=Decimal("-0")), "more than zero"),
    ],
)
def test_update_item__bad_change__changes_nothing(
    engine: Engine, store: Store, change: ItemChange, message: str
) -> None:
    with UnitOfWork(engine) as uow, pytest.raises((InvalidInputError, MoneyError), match=message):
        update_item(uow, store.store_id, "LATTE", change)
    assert _item(engine, store) == ("Latte", 450, 10)


def test_remove_item__never_sold__is_deleted(engine: Engine, store: Store) -> None:
    with UnitOfWork(engine) as uow:
        assert remove_item(uow, store.store_id, "LATTE").kept is False
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(CatalogueItem)) == 0


@pytest.mark.postgres
def test_remove_item__sold__is_kept_for_its_invoices_and_off_sale(
    engine: Engine, store: Store, tmp_path: Path
) -> None:
    _sell(engine, store, tmp_path)
    with UnitOfWork(engine) as uow:
        removal = remove_item(uow, store.store_id, "LATTE")
        assert (removal.kept, removal.invoice_lines) == (True, 1)
    with UnitOfWork(engine) as uow:
        assert list_items(uow, store.store_id) == []
        assert [i.sku for i in list_items(uow, store.store_id, include_removed=True)] == ["LATTE"]
        invoice_id = uow.session.scalars(select(InvoiceLine.invoice_id)).one()
        from coinpos.db.models import Invoice

        invoice = uow.session.get(Invoice, invoice_id)
        assert invoice is not None
        assert invoice_items(uow, invoice) == [("LATTE", 1, 450)]
        with pytest.raises(CatalogueError, match="already removed"):
            remove_item(uow, store.store_id, "LATTE")
        with pytest.raises(CatalogueError, match="was removed"):
            update_item(uow, store.store_id, "LATTE", ItemChange(stock=3))
    with pytest.raises(InvoiceError, match="removed from the catalogue"):
        _sell(engine, store, tmp_path)
    # Adding the sku again brings the same row back, so old invoice lines still name it.
    with UnitOfWork(engine) as uow:
        item = add_priced_item(uow, store.store_id, "LATTE", "Latte", "CPW", Decimal("6"), 2)
        assert (item.removed_at, item.price, item.stock) == (None, 600, 2)
        assert take_stock(uow, item.id, 1) == 1
