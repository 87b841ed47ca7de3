"""The committed docs/openapi.json is the app's document (regenerate: `make openapi`)."""

from __future__ import annotations

import json
from pathlib import Path

from coinpos.server.app import create_app
from coinpos.server.cli import openapi_document
from coinpos.server.settings import ServerSettings

COMMITTED = Path(__file__).parents[2] / "docs" / "openapi.json"


def test_the_committed_document_is_the_apps() -> None:
    app = create_app(ServerSettings(database_url="sqlite:///:memory:"))
    assert COMMITTED.read_text() == openapi_document(app), "run `make openapi` and commit it"


def test_every_api_route_documents_problem_answers_and_is_versioned() -> None:
    document = json.loads(COMMITTED.read_text())
    for path, operations in document["paths"].items():
        assert path.startswith("/api/v1/") or path in ("/healthz", "/readyz")
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            assert "application/problem+json" in operation["responses"]["404"]["content"]
