"""Who may open the pages' event streams, over real HTTP: the POS's stream takes the pairing
cookie of the invoice's own store only; the checkout's takes its link's token, which no one
can make for another invoice (the invoice hash alone, or a token altered or made with
another key, is refused)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from coinpos.pages.capability import checkout_key, checkout_token, invoice_hash_of
from coinpos.pages.pairing import TERMINAL_COOKIE
from coinpos.pages.web import CSRF_COOKIE, CSRF_HEADER
from coinpos.server.app import create_app
from coinpos.server.settings import ENV_CHECKOUT_SECRET, ServerSettings
from tests.chainops.conftest import Shop
from tests.server.conftest import StoreKeys, bearer, store_with_keys

CSRF = "c" * 43


@pytest.fixture
def http(pos_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=pos_server, timeout=30) as client:
        yield client


def _first_event(http: httpx.Client, path: str, **kwargs: Any) -> dict[str, Any]:
    with http.stream("GET", path, **kwargs) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        for line in answer.iter_lines():
            if line.startswith("data:"):
                data: dict[str, Any] = json.loads(line.removeprefix("data:"))
                return data
    raise AssertionError("the stream ended without an event")


def _charge(http: httpx.Client, terminal: str) -> dict[str, Any]:
    answer = http.post(
        "/pos/charge",
        json={"cart": [{"sku": "LATTE", "quantity": 1}]},
        cookies={TERMINAL_COOKIE: terminal, CSRF_COOKIE: CSRF},
        headers={CSRF_HEADER: CSRF},
    )
    assert answer.status_code == 201, answer.text
    charged: dict[str, Any] = answer.json()
    return charged


def test_the_pos_stream_takes_the_pairing_cookie_of_the_invoices_store_only(
    http: httpx.Client, keys: StoreKeys, shop: Shop
) -> None:
    invoice = _charge(http, keys.terminal)
    path = f"/pos/invoices/{invoice['id']}/events"
    other = store_with_keys(shop.engine, name="Other Cafe")

    assert http.get(path).status_code == 401
    assert http.get(path, cookies={TERMINAL_COOKIE: "cpk_" + "0" * 40}).status_code == 401
    refused = http.get(path, cookies={TERMINAL_COOKIE: other.terminal})
    assert refused.status_code == 404
    assert invoice["deposit_address"] not in refused.text
    # A bearer key is the API's credential, not the page's.
    assert http.get(path, headers=bearer(keys.terminal)).status_code == 401

    first = _first_event(http, path, cookies={TERMINAL_COOKIE: keys.terminal})
    assert (first["id"], first["status"], first["label"]) == (
        invoice["id"],
        "New",
        "Waiting for payment",
    )
    assert first["final"] is False and first["transactions"] == []


def test_the_checkout_stream_takes_its_token_and_no_other(
    http: httpx.Client, keys: StoreKeys, shop: Shop
) -> None:
    invoice = _charge(http, keys.terminal)
    link = httpx.URL(invoice["checkout_url"])
    token = link.path.removeprefix("/i/")
    assert len(token) == 64 and invoice["id"].removeprefix("0x") not in token.lower()

    first = _first_event(http, f"/i/{token}/events")
    assert (first["id"], first["label"]) == (invoice["id"], "Waiting for payment")
    assert http.get(f"/i/{token}").status_code == 200

    # Not the invoice hash, not an altered token, not a token under another key.
    forged = checkout_token(secrets.token_bytes(32), invoice["id"])
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for wrong in (invoice["id"], altered, forged):
        for suffix in ("", "/events", "/status", "/qr.svg"):
            answer = http.get(f"/i/{wrong}{suffix}")
            assert answer.status_code in (404, 422), (wrong, suffix, answer.status_code)
            assert invoice["deposit_address"] not in answer.text

    # The stream ends after a final status: a cancelled invoice's is one event long.
    cancelled = http.post(
        f"/api/v1/stores/{keys.store.store_id}/invoices/{invoice['id']}/cancel",
        headers=bearer(keys.terminal),
    )
    assert cancelled.status_code == 200, cancelled.text
    body = http.get(f"/i/{token}/events", timeout=10).text
    events = [json.loads(line[5:]) for line in body.splitlines() if line.startswith("data:")]
    assert [(e["status"], e["label"], e["final"]) for e in events] == [
        ("Invalid", "Cancelled", True)
    ]


def test_a_token_names_its_invoice_under_its_key_only() -> None:
    key, other = secrets.token_bytes(32), secrets.token_bytes(32)
    invoice_hash = "0x" + secrets.token_hex(32)
    token = checkout_token(key, invoice_hash)
    assert invoice_hash_of(key, token) == invoice_hash
    assert invoice_hash_of(other, token) is None
    assert invoice_hash_of(key, checkout_token(other, invoice_hash)) is None
    assert invoice_hash_of(key, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert invoice_hash_of(key, "=" * 64) is None
    assert invoice_hash_of(key, invoice_hash) is None


def test_servers_given_one_checkout_secret_share_their_links() -> None:
    settings = ServerSettings.from_environment({ENV_CHECKOUT_SECRET: "one secret for every worker"})
    assert settings.checkout_secret == b"one secret for every worker"
    first = create_app(replace(settings, database_url="sqlite:///:memory:"))
    second = create_app(replace(settings, database_url="sqlite:///:memory:"))
    invoice_hash = "0x" + secrets.token_hex(32)
    token = checkout_token(checkout_key(first), invoice_hash)
    assert invoice_hash_of(checkout_key(second), token) == invoice_hash
    # The control: without the setting, each process makes a key of its own.
    alone = create_app(ServerSettings(database_url="sqlite:///:memory:"))
    assert invoice_hash_of(checkout_key(alone), token) is None
