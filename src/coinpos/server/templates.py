"""The path templates of the app's OpenAPI document, matched against a request's path.

Middlewares run before routing, and FastAPI's routers keep their prefixes apart from their
routes, so what a request's route is comes from the document: the one list of routes that
a client, the access log and the idempotency middleware all read the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.routing import compile_path


class PathTemplates:
    def __init__(self, openapi: Callable[[], dict[str, Any]]) -> None:
        self._openapi = openapi
        self._compiled: list[tuple[re.Pattern[str], str, dict[str, Any]]] | None = None

    def _entries(self) -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
        if self._compiled is None:
            paths = self._openapi().get("paths", {})
            # Literal segments win over parameters: fewer parameters first.
            ordered = sorted(paths.items(), key=lambda item: item[0].count("{"))
            self._compiled = [
                (compile_path(path)[0], path, operations) for path, operations in ordered
            ]
        return self._compiled

    def match(self, path: str) -> tuple[str, dict[str, Any]] | None:
        """(template, its operations) of the first template matching `path`."""
        for pattern, template, operations in self._entries():
            if pattern.match(path):
                return template, operations
        return None
