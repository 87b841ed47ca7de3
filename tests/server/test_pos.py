"""The POS routes over real HTTP: catalogue, invoices from a cart or an amount, list, read,
cancel, QR codes; invoices signed for an escrow deployed on anvil."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from web3 import Web3

from coinpos.catalogue.service import add_item
from coinpos.chainops.escrow import abi_of
from coinpos.db.models import CatalogueItem, Invoice, Notification
from coinpos.rates.service import set_rate
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import Shop
from tests.offchain.payments.test_qr import decode_png
from tests.server.conftest import StoreKeys, bearer, store_with_keys


@pytest.fixture
def keys(shop: Shop) -> StoreKeys:
    with UnitOfWork(shop.engine) as uow:
        add_item(uow, shop.store.store_id, "LATTE", "Cafe latte", "CPW", 450, 3)
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "CPW", "KRW", Decimal("1300.5"))
    return store_with_keys(shop.engine, store=shop.store)


def _invoices(shop: Shop) -> int:
    with UnitOfWork(shop.engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Invoice)) or 0)


def _stock(shop: Shop) -> int:
    with UnitOfWork(shop.engine) as uow:
        return int(uow.session.scalar(select(CatalogueItem.stock)) or 0)


def _create(
    pos: httpx.Client, keys: StoreKeys, body: dict[str, Any], **headers: str
) -> httpx.Response:
    return pos.post(
        f"/api/v1/stores/{keys.store.store_id}/invoices",
        json=body,
        headers={**bearer(keys.terminal), **headers},
    )


def test_catalogue_shows_stock_and_prices_in_coin_and_fiat(
    pos: httpx.Client, keys: StoreKeys
) -> None:
    answer = pos.get(
        f"/api/v1/stores/{keys.store.store_id}/catalogue", headers=bearer(keys.terminal)
    )
    assert answer.status_code == 200
    [item] = answer.json()["items"]
    assert item["sku"] == "LATTE" and item["stock"] == 3
    assert item["price"] == {"coin": "CPW", "amount": "4.50", "base_units": "450"}
    # 4.50 CPW at 1300.5 KRW = 5852.25, rounded half-even to whole won.
    assert item["fiat_price"]["fiat"] == "KRW"
    assert item["fiat_price"]["value"] == "5852"
    assert item["fiat_price"]["rate"] == "1300.5"


def test_an_invoice_from_a_cart_is_signed_payable_on_chain_and_takes_stock(
    pos: httpx.Client,
    keys: StoreKeys,
    shop: Shop,
    escrow: Any,
    project: Any,
    tmp_path: Path,
) -> None:
    answer = _create(pos, keys, {"coin": "CPW", "cart": [{"sku": "LATTE", "quantity": 2}]})
    assert answer.status_code == 201, answer.text
    invoice = answer.json()
    assert invoice["status"] == "New" and invoice["terminal"] == "T1"
    assert invoice["price"] == {"coin": "CPW", "amount": "9.00", "base_units": "900"}
    assert invoice["items"] == [{"sku": "LATTE", "quantity": 2, "unit_price": "450"}]
    assert _stock(shop) == 1
    payment = invoice["payment"]
    terms = payment["terms"]
    as_tuple = (
        bytes.fromhex(terms["store_commitment"][2:]), terms["token"], int(terms["amount"]),
        terms["payer"], terms["payment_deadline"], terms["authorization_expiry"],
        terms["refund_deadline"],
    )  # fmt: skip
    # The terms name the store only through a commitment that differs per invoice.
    assert "store_id" not in terms and "salt" not in terms
    assert terms["store_commitment"] != "0x" + shop.store.store_id[2:]
    # The escrow itself agrees on the invoice hash and the deposit address.
    assert "0x" + bytes(escrow.invoiceHash(as_tuple)).hex() == invoice["id"]
    assert escrow.depositAddress(as_tuple) == payment["deposit_address"]
    assert payment["payment_uri"].startswith("ethereum:")
    signature = bytes.fromhex(payment["operator_signature"][2:])
    pay_call = bytes(escrow.pay.encode_input(as_tuple, signature))
    assert payment["escrow_call"] == "0x" + pay_call.hex()
    wallet = Web3().eth.contract(abi=abi_of(project.MultiCoinWallet.contract_type))
    expected = wallet.encode_abi("payInvoice", [payment["escrow"], terms["token"], 900, pay_call])
    assert payment["wallet_call"] == expected
    # The QR is drawn on request, not when the invoice is made.
    assert not (tmp_path / "out").exists()
    png = pos.get(invoice["qr"]["png"], headers=bearer(keys.terminal))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    [decoded] = decode_png(png.content)
    assert decoded.text == payment["payment_uri"]
    svg = pos.get(invoice["qr"]["svg"], headers=bearer(keys.terminal))
    assert svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content


def test_read_list_and_filter_invoices(pos: httpx.Client, keys: StoreKeys) -> None:
    first = _create(pos, keys, {"coin": "CPW", "amount": "12.50"}).json()
    second = _create(pos, keys, {"coin": "ETH", "amount": "0.01"}).json()
    assert second["price"]["base_units"] == str(10**16)
    base = f"/api/v1/stores/{keys.store.store_id}/invoices"
    one = pos.get(f"{base}/{first['id']}", headers=bearer(keys.terminal)).json()
    assert one["id"] == first["id"] and one["price"]["amount"] == "12.50"
    listed = pos.get(base, headers=bearer(keys.terminal)).json()
    assert [i["id"] for i in listed["items"]] == [second["id"], first["id"]]
    page = pos.get(base, params={"limit": 1}, headers=bearer(keys.terminal)).json()
    assert len(page["items"]) == 1 and page["next_offset"] == 1
    rest = pos.get(base, params={"limit": 1, "offset": 1}, headers=bearer(keys.terminal)).json()
    assert [i["id"] for i in rest["items"]] == [first["id"]]
    assert (
        pos.get(base, params={"status": "Settled"}, headers=bearer(keys.terminal)).json()["items"]
        == []
    )
    by_terminal = pos.get(base, params={"terminal": "T1"}, headers=bearer(keys.terminal)).json()
    assert len(by_terminal["items"]) == 2
    future = pos.get(base, params={"since": "2999-01-01T00:00:00Z"}, headers=bearer(keys.terminal))
    assert future.json()["items"] == []
    # A terminal the store does not have is named as such, not answered with an empty list.
    unknown = pos.get(base, params={"terminal": "T9"}, headers=bearer(keys.terminal))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert "T9" in unknown.json()["detail"]
    naive = pos.get(base, params={"since": "2026-01-01T00:00:00"}, headers=bearer(keys.terminal))
    assert naive.status_code == 422 and "time zone" in naive.json()["detail"]


def test_cancel_an_unpaid_invoice_returns_its_stock_once(
    pos: httpx.Client, keys: StoreKeys, shop: Shop
) -> None:
    invoice = _create(pos, keys, {"coin": "CPW", "cart": [{"sku": "LATTE", "quantity": 3}]}).json()
    assert _stock(shop) == 0
    url = f"/api/v1/stores/{keys.store.store_id}/invoices/{invoice['id']}/cancel"
    cancelled = pos.post(url, headers=bearer(keys.terminal))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "Invalid"
    assert _stock(shop) == 3
    again = pos.post(url, headers=bearer(keys.terminal))
    assert again.status_code == 409
    assert "only an unpaid New invoice" in again.json()["detail"]
    assert _stock(shop) == 3
    with UnitOfWork(shop.engine) as uow:
        topics = [n.payload["status"] for n in uow.session.scalars(select(Notification))]
    assert topics == ["Invalid"]


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"coin": "CPW", "amount": "1.234"}, 422, "more than 2 decimal places"),
        ({"coin": "CPW", "cart": [{"sku": "LATTE", "quantity": 4}]}, 409, "has 3 in stock"),
        ({"coin": "CPW", "cart": [{"sku": "NOPE", "quantity": 1}]}, 409, "no catalogue item"),
        (
            {"coin": "CPW", "amount": "1", "cart": [{"sku": "LATTE", "quantity": 1}]},
            422,
            "not both",
        ),
        ({"coin": "DOGE", "amount": "1"}, 422, "no coin DOGE"),
        ({"coin": "CPW"}, 422, "amount or a cart"),
        ({"coin": "CPW", "amount": "-1"}, 422, "amount"),
        ({"coin": "CPW", "amount": "1", "extra": 1}, 422, "extra"),
    ],
)
def test_bad_invoice_requests_are_problems_that_change_nothing(
    pos: httpx.Client, keys: StoreKeys, shop: Shop, body: dict[str, Any], status: int, words: str
) -> None:
    answer = _create(pos, keys, body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert words in answer.text
    assert _invoices(shop) == 0 and _stock(shop) == 3
