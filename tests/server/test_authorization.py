"""Every route, every method: 401 without credentials, 404 and no data for another store's
key or another customer's token, 403 for a terminal key on a manager route. The positive
control mounts a deliberately unprotected route and the same walk catches it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends
from sqlalchemy import Engine

from coinpos.customers.service import add_account, record_wallet
from coinpos.invoices.service import Issuer, NewInvoice, issue_invoice
from coinpos.rates.service import set_rate
from coinpos.server.app import create_app
from coinpos.server.auth import StoreId
from coinpos.server.database import get_uow
from coinpos.server.settings import ServerSettings
from coinpos.settlement.service import SettlementRequest, request_settlement
from coinpos.stores.service import get_store
from coinpos.unit_of_work import UnitOfWork
from coinpos.webhooks.service import create_endpoint, list_deliveries
from tests.chainops.conftest import Shop
from tests.offchain.factories import PASSWORD, make_customer
from tests.server.authorization import Case, Principal, World, walk
from tests.server.conftest import store_with_keys
from tests.server.live import serving
from tests.server.test_manager import _captured

STORE = "/api/v1/stores/{store_id}"
INVOICE = STORE + "/invoices/{invoice_id}"
AMOUNT = {"coin": "CPW", "amount": "1"}
WEBHOOKS = STORE + "/webhooks"
WEBHOOK = WEBHOOKS + "/{webhook_id}"
HOOK_URL = "https://93.184.215.14/walk-hook"

TABLE: dict[tuple[str, str], Case] = {
    ("GET", "/healthz"): Case("public"),
    ("GET", "/readyz"): Case("public"),
    ("POST", "/api/v1/sessions"): Case("public"),
    ("DELETE", "/api/v1/sessions/current"): Case("customer"),
    ("GET", "/api/v1/me"): Case("customer"),
    ("GET", "/api/v1/me/wallets"): Case("customer", query={"fiat": "KRW"}),
    ("GET", "/api/v1/me/wallets/{wallet_address}"): Case("customer", query={"fiat": "KRW"}),
    ("GET", "/api/v1/me/history"): Case("customer"),
    ("GET", "/api/v1/rates/{coin}/{fiat}"): Case("customer"),
    ("GET", STORE + "/catalogue"): Case("terminal"),
    ("POST", STORE + "/invoices"): Case("terminal", body=AMOUNT),
    ("GET", STORE + "/invoices"): Case("terminal"),
    ("GET", INVOICE): Case("terminal"),
    ("POST", INVOICE + "/cancel"): Case("terminal"),
    ("GET", INVOICE + "/qr.png"): Case("terminal"),
    ("GET", INVOICE + "/qr.svg"): Case("terminal"),
    ("POST", INVOICE + "/refunds"): Case("manager", body={"amount": "1"}),
    ("GET", STORE + "/reports/sales"): Case("manager"),
    ("POST", STORE + "/settlements"): Case("manager", body=AMOUNT),
    ("GET", STORE + "/settlements/{settlement_id}"): Case("manager"),
    ("GET", "/api/v1/invoices/{invoice_id}/events"): Case("terminal"),
    ("GET", INVOICE + "/events"): Case("terminal"),
    ("POST", WEBHOOKS): Case("manager", body={"url": HOOK_URL, "events": ["invoice.settled"]}),
    ("GET", WEBHOOKS): Case("manager"),
    ("GET", WEBHOOK): Case("manager"),
    ("DELETE", WEBHOOK): Case("manager"),
    ("POST", WEBHOOK + "/rotate-secret"): Case("manager", body={}),
    ("GET", WEBHOOK + "/deliveries"): Case("manager"),
    ("POST", WEBHOOK + "/deliveries/{delivery_id}/redeliver"): Case("manager"),
}


def _token(client: httpx.Client, login_id: str) -> str:
    answer = client.post("/api/v1/sessions", json={"login_id": login_id, "password": PASSWORD})
    token: str = answer.json()["token"]
    return token


def _world(client: httpx.Client, shop: Shop, issuer: Issuer, customer: Any) -> World:
    engine: Engine = shop.engine
    a = store_with_keys(engine, store=shop.store)
    b = store_with_keys(engine, name="Mapo Bakery")
    with UnitOfWork(engine) as uow:
        set_rate(uow, "CPW", "KRW", Decimal("1000"))
    with UnitOfWork(engine) as uow:
        hook, _ = create_endpoint(uow, a.store.store_id, HOOK_URL, ["invoice.created"])
    with UnitOfWork(engine) as uow:
        invoice = issue_invoice(uow, NewInvoice(a.store.store_id, "CPW", amount=777), issuer)
    with UnitOfWork(engine) as uow:
        [delivery] = list_deliveries(uow, a.store.store_id)
        delivery_id = delivery.delivery.id
    _captured(shop, 10_000)
    with UnitOfWork(engine) as uow:
        settlement = request_settlement(
            uow, SettlementRequest(a.store.store_id, "CPW", "walk", amount=100)
        )
    make_customer(engine, "minji")
    make_customer(engine, "jisoo")
    with UnitOfWork(engine) as uow:
        add_account(uow, "minji", str(customer.address), "main")
    with UnitOfWork(engine) as uow:
        wallet = record_wallet(uow, "minji", 31337, "0x" + "5a" * 20, [shop.cpw.id])
    assert invoice.deposit_address is not None
    return World(
        a=Principal(
            a.store.store_id, a.terminal, a.manager, customer_token=_token(client, "minji")
        ),
        b=Principal(
            b.store.store_id, b.terminal, b.manager, customer_token=_token(client, "jisoo")
        ),
        values={
            "invoice_id": invoice.invoice_hash,
            "settlement_id": settlement.reference,
            "webhook_id": str(hook.endpoint.id),
            "delivery_id": str(delivery_id),
            "wallet_address": wallet.address,
            "coin": "CPW",
            "fiat": "KRW",
        },
        secrets=[
            invoice.deposit_address,
            shop.store.name,
            '"login_id":"minji"',
            wallet.address,
            str(customer.address),
            "Hana Bank",
            HOOK_URL,
        ],
    )


@pytest.fixture
def walked(db_url: str, shop: Shop, issuer: Issuer) -> Iterator[tuple[httpx.Client, Any]]:
    app = create_app(ServerSettings(database_url=db_url, issuer=issuer))
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client, app
    app.state.engine.dispose()


@pytest.mark.postgres
def test_every_route_refuses_strangers(
    walked: tuple[httpx.Client, Any], shop: Shop, issuer: Issuer, customer: Any
) -> None:
    client, app = walked
    world = _world(client, shop, issuer, customer)
    failures, checked = walk(client, app.openapi(), TABLE, world)
    assert failures == []
    assert checked == len(TABLE)


def _leaky_router() -> APIRouter:
    router = APIRouter()

    @router.get("/stores/{store_id}/leak")
    def leak(store_id: StoreId, uow: UnitOfWork = Depends(get_uow)) -> dict[str, str]:  # noqa: B008
        store = get_store(uow, store_id)
        return {"name": store.name, "bank": store.bank_name or ""}

    return router


def test_positive_control_an_unprotected_route_is_caught(
    db_url: str, shop: Shop, issuer: Issuer, customer: Any
) -> None:
    app = create_app(
        ServerSettings(database_url=db_url, issuer=issuer), extra_routers=(_leaky_router(),)
    )
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        world = _world(client, shop, issuer, customer)
        document = app.openapi()
        missing, _ = walk(client, document, TABLE, world)
        listed = {**TABLE, ("GET", STORE + "/leak"): Case("terminal")}
        failures, _ = walk(client, document, listed, world)
    app.state.engine.dispose()
    assert missing == ["GET /api/v1/stores/{store_id}/leak: not in the authorization table"]
    leak = "GET /api/v1/stores/{store_id}/leak"
    assert f"{leak}: 200 without credentials, not 401" in failures
    assert f"{leak}: 200 with another store's key, not 404" in failures
    assert any(f.startswith(f"{leak}: another store's key sees") for f in failures)
    assert all(f.startswith(leak) for f in failures)
