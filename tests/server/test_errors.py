"""Errors are problem details without tracebacks; access logs are JSON lines without secrets."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import Engine

from coinpos.server.app import create_app
from coinpos.server.settings import ServerSettings
from tests.offchain.factories import PASSWORD, make_customer
from tests.server.conftest import bearer, store_with_keys
from tests.server.live import serving


def _failing_router() -> APIRouter:
    router = APIRouter()

    @router.get("/explode")
    def explode() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    return router


def test_an_unexpected_error_is_a_500_problem_without_traceback(
    db_url: str, engine: Engine
) -> None:
    app = create_app(ServerSettings(database_url=db_url), extra_routers=(_failing_router(),))
    with serving(app) as url:
        answer = httpx.get(url + "/api/v1/explode")
    app.state.engine.dispose()
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] == "Internal Server Error"
    assert "Traceback" not in answer.text and "secret internals" not in answer.text


def test_validation_errors_list_each_field(client: httpx.Client, engine: Engine) -> None:
    keys = store_with_keys(engine)
    answer = client.post(
        f"/api/v1/stores/{keys.store.store_id}/invoices",
        json={"coin": "bad coin", "cart": [{"sku": "A", "quantity": 0}]},
        headers=bearer(keys.terminal),
    )
    assert answer.status_code == 422
    body = answer.json()
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.coin", "body.cart.0.quantity"}
    assert "\n" not in body["detail"] and "(and 1 more)" in body["detail"]


def test_a_malformed_store_id_or_body_is_a_problem(client: httpx.Client, engine: Engine) -> None:
    keys = store_with_keys(engine)
    bad_id = client.get("/api/v1/stores/0x12/catalogue", headers=bearer(keys.terminal))
    assert bad_id.status_code == 422 and bad_id.json()["errors"][0]["field"] == "path.store_id"
    not_json = client.post(
        f"/api/v1/stores/{keys.store.store_id}/invoices",
        content=b"{not json",
        headers={**bearer(keys.terminal), "content-type": "application/json"},
    )
    assert not_json.status_code == 422
    assert not_json.headers["content-type"] == "application/problem+json"


def test_access_logs_are_json_lines_without_secrets(
    client: httpx.Client, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    keys = store_with_keys(engine)
    make_customer(engine)
    with caplog.at_level(logging.INFO, logger="coinpos.access"):
        client.get(f"/api/v1/stores/{keys.store.store_id}/catalogue", headers=bearer(keys.terminal))
        login = client.post("/api/v1/sessions", json={"login_id": "minji", "password": PASSWORD})
        client.get("/api/v1/me", headers=bearer(login.json()["token"]))
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "coinpos.access"]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/api/v1/stores/{store_id}/catalogue", 200),
        ("POST", "/api/v1/sessions", 201),
        ("GET", "/api/v1/me", 200),
    ]
    assert all(line["duration_ms"] >= 0 and len(line["request_id"]) == 16 for line in lines)
    text = caplog.text
    for secret in (keys.terminal, PASSWORD, login.json()["token"], keys.store.store_id):
        assert secret not in text
