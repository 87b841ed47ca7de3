"""The server answers health checks, and every error is a problem+json without a traceback."""

from __future__ import annotations

import httpx
import pytest

from tests.server.live import serving

pytestmark = pytest.mark.usefixtures("engine")


@pytest.mark.postgres
def test_healthz_and_readyz(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert {c["name"]: c["ok"] for c in ready.json()["checks"]} == {
        "database": True,
        "migrations": True,
    }


def test_readyz_fails_on_an_unmigrated_database(tmp_path: object) -> None:
    from coinpos.server.app import create_app
    from coinpos.server.settings import ServerSettings

    app = create_app(ServerSettings(database_url=f"sqlite:///{tmp_path}/empty.db"))
    with serving(app) as url:
        answer = httpx.get(url + "/readyz")
    assert answer.status_code == 503
    checks = {c["name"]: c for c in answer.json()["checks"]}
    assert checks["migrations"]["ok"] is False
    assert "0700_server" in checks["migrations"]["detail"]


def test_unknown_route_is_a_problem(client: httpx.Client) -> None:
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert body["type"].startswith("urn:coinpos:problem:")
    assert "\n" not in body["detail"]


def test_wrong_method_is_a_problem(client: httpx.Client) -> None:
    answer = client.post("/healthz")
    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "POST is not allowed on /healthz"


def test_every_answer_carries_a_request_id(client: httpx.Client) -> None:
    assert len(client.get("/healthz").headers["x-request-id"]) == 16
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
