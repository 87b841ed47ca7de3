"""The store webhook routes over real HTTP: a manager registers, lists, rotates, deletes,
lists deliveries and redelivers; other stores' keys get 404, terminal keys 403."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from coinpos.db.models import WebhookDelivery, WebhookEndpoint
from coinpos.server.app import create_app
from coinpos.server.settings import ServerSettings
from tests.server.conftest import StoreKeys, bearer, store_with_keys
from tests.server.invoices import make_invoice
from tests.server.live import serving


@pytest.fixture
def allowing(db_url: str, engine: Engine) -> Iterator[httpx.Client]:
    """A server started with --allow-private-webhooks."""
    app = create_app(ServerSettings(database_url=db_url, allow_private_webhooks=True))
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client
    app.state.engine.dispose()


def _endpoints(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0)


def _path(keys: StoreKeys, rest: str = "") -> str:
    return f"/api/v1/stores/{keys.store.store_id}/webhooks{rest}"


@pytest.mark.postgres
def test_manager__registers_lists_rotates_and_deletes__secret_shown_only_when_made(
    allowing: httpx.Client, engine: Engine
) -> None:
    keys = store_with_keys(engine)
    made = allowing.post(
        _path(keys),
        json={"url": "http://127.0.0.1:9/hook", "events": ["invoice.settled", "invoice.created"]},
        headers={**bearer(keys.manager), "Idempotency-Key": "hook-1"},
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["invoice.created", "invoice.settled"]
    listed = allowing.get(_path(keys), headers=bearer(keys.manager)).json()
    assert [w["id"] for w in listed] == [body["id"]] and "secret" not in listed[0]
    one = allowing.get(_path(keys, f"/{body['id']}"), headers=bearer(keys.manager)).json()
    assert "secret" not in one and one["previous_secret_expires_at"] is None

    rotated = allowing.post(
        _path(keys, f"/{body['id']}/rotate-secret"),
        json={"grace_hours": 2},
        headers=bearer(keys.manager),
    ).json()
    assert rotated["secret"] != body["secret"] and rotated["previous_secret_expires_at"]

    gone = allowing.delete(_path(keys, f"/{body['id']}"), headers=bearer(keys.manager))
    assert gone.status_code == 204
    assert (
        allowing.get(_path(keys, f"/{body['id']}"), headers=bearer(keys.manager)).status_code == 404
    )
    assert allowing.get(_path(keys), headers=bearer(keys.manager)).json() == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"url": "http://127.0.0.1:9/hook", "events": ["invoice.settled"]}, 422),
        ({"url": "http://169.254.169.254/", "events": ["invoice.settled"]}, 422),
        ({"url": "ftp://93.184.215.14/", "events": ["invoice.settled"]}, 422),
        ({"url": "https://93.184.215.14/", "events": []}, 422),
        ({"url": "https://93.184.215.14/", "events": ["invoice.nope"]}, 422),
        ({"events": ["invoice.settled"]}, 422),
    ],
)
def test_create__bad_or_private_url_without_the_allowance__problem_and_nothing_written(
    client: httpx.Client, engine: Engine, body: dict[str, object], status: int
) -> None:
    keys = store_with_keys(engine)
    answer = client.post(_path(keys), json=body, headers=bearer(keys.manager))
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert _endpoints(engine) == 0


def test_create__a_global_address__accepted_without_the_allowance(
    client: httpx.Client, engine: Engine
) -> None:
    """The control for the refusals above."""
    keys = store_with_keys(engine)
    body = {"url": "https://93.184.215.14/hook", "events": ["invoice.settled"]}
    assert client.post(_path(keys), json=body, headers=bearer(keys.manager)).status_code == 201


@pytest.mark.postgres
def test_terminal_key_403__other_stores_manager_404__own_manager_200(
    allowing: httpx.Client, engine: Engine
) -> None:
    mine = store_with_keys(engine)
    other = store_with_keys(engine, "Busan Books")
    made = allowing.post(
        _path(mine),
        json={"url": "http://127.0.0.1:9/hook", "events": ["invoice.created"]},
        headers=bearer(mine.manager),
    ).json()
    make_invoice(engine, mine.store.store_id)  # invoice.created → one delivery
    [delivery] = allowing.get(
        _path(mine, f"/{made['id']}/deliveries"), headers=bearer(mine.manager)
    ).json()
    routes = [
        ("GET", _path(mine)),
        ("GET", _path(mine, f"/{made['id']}")),
        ("GET", _path(mine, f"/{made['id']}/deliveries")),
        ("POST", _path(mine, f"/{made['id']}/deliveries/{delivery['id']}/redeliver")),
        ("POST", _path(mine, f"/{made['id']}/rotate-secret")),
        ("DELETE", _path(mine, f"/{made['id']}")),
    ]
    for method, path in routes:
        kwargs = {"json": {}} if method == "POST" else {}
        terminal = allowing.request(method, path, headers=bearer(mine.terminal), **kwargs)
        assert terminal.status_code == 403, (method, path)
        foreign = allowing.request(method, path, headers=bearer(other.manager), **kwargs)
        assert foreign.status_code == 404, (method, path)
        assert "127.0.0.1" not in foreign.text
    # Another store's manager naming its own store cannot reach this endpoint either.
    theirs = f"/api/v1/stores/{other.store.store_id}/webhooks/{made['id']}"
    assert allowing.get(theirs, headers=bearer(other.manager)).status_code == 404
    # The control: the owner reaches every one.
    for method, path in routes:
        kwargs = {"json": {}} if method == "POST" else {}
        own = allowing.request(method, path, headers=bearer(mine.manager), **kwargs)
        assert own.status_code in (200, 202, 204), (method, path, own.text)


def test_deliveries__listed_newest_first__redeliver_makes_a_flagged_new_one(
    allowing: httpx.Client, engine: Engine
) -> None:
    keys = store_with_keys(engine)
    hook = allowing.post(
        _path(keys),
        json={"url": "http://127.0.0.1:9/hook", "events": ["invoice.created"]},
        headers=bearer(keys.manager),
    ).json()
    make_invoice(engine, keys.store.store_id)
    deliveries = _path(keys, f"/{hook['id']}/deliveries")
    [first] = allowing.get(deliveries, headers=bearer(keys.manager)).json()
    assert (first["event_type"], first["status"], first["is_redelivery"]) == (
        "invoice.created", "pending", False,
    )  # fmt: skip
    again = allowing.post(
        f"{deliveries}/{first['id']}/redeliver",
        headers={**bearer(keys.manager), "Idempotency-Key": "again-1"},
    )
    assert again.status_code == 202
    assert again.json()["is_redelivery"] and again.json()["event_id"] == first["event_id"]
    newest, oldest = allowing.get(deliveries, headers=bearer(keys.manager)).json()
    assert (newest["id"], oldest["id"]) == (again.json()["id"], first["id"])
    pending = allowing.get(deliveries, params={"status": "delivered"}, headers=bearer(keys.manager))
    assert pending.json() == []
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 2
