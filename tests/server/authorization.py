"""The authorization walk: every route of an app's OpenAPI document, every method, called
without credentials, with another store's key or another customer's token, and with a
terminal key where a manager's is needed. A route missing from the table is a failure, so a
new route cannot skip the walk.

The table maps (METHOD, path template) to a Case: the role the route needs ("public",
"terminal", "manager", "customer") and a body and query that would succeed for its owner.
Path parameters are filled from the World by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

METHODS = ("get", "post", "put", "patch", "delete")
# Path parameters that name an object inside a store or of a customer: with the other
# principal's own store, the first principal's object must still be absent.
OBJECT_PARAMETERS = ("invoice_id", "settlement_id", "wallet_address", "webhook_id", "delivery_id")


@dataclass(frozen=True)
class Case:
    role: str
    body: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class Principal:
    store_id: str | None = None
    terminal_key: str | None = None
    manager_key: str | None = None
    customer_token: str | None = None


@dataclass
class World:
    """Two of everything: `a` owns the objects, `b` must not reach them."""

    a: Principal
    b: Principal
    # Path parameter values of a's objects, by name (store_id comes from the principal).
    values: dict[str, str]
    # Strings only a's data contains; none may appear in an answer to b.
    secrets: list[str]


def _fill(path: str, store_id: str | None, values: dict[str, str]) -> str | None:
    filled = path.replace("{store_id}", store_id or "")
    for name, value in values.items():
        filled = filled.replace("{" + name + "}", value)
    return None if "{" in filled else filled


def _call(
    client: httpx.Client, method: str, path: str, case: Case, token: str | None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.request(method.upper(), path, json=case.body, params=case.query, headers=headers)


def walk(
    client: httpx.Client, openapi: dict[str, Any], table: dict[tuple[str, str], Case], world: World
) -> tuple[list[str], int]:
    """(failures, number of route × method checked)."""
    failures: list[str] = []
    seen: set[tuple[str, str]] = set()
    for path, operations in openapi["paths"].items():
        for method in (m for m in METHODS if m in operations):
            route = (method.upper(), path)
            seen.add(route)
            case = table.get(route)
            if case is None:
                failures.append(f"{method.upper()} {path}: not in the authorization table")
                continue
            marked = operations[method].get("x-coinpos-role") == "manager"
            if marked != (case.role == "manager"):
                failures.append(f"{method.upper()} {path}: x-coinpos-role disagrees with the table")
            if case.role == "public":
                continue
            failures += _check(client, method, path, case, world)
    failures += [f"{m} {p}: in the table but not served" for m, p in table.keys() - seen]
    return failures, len(seen)


def _owner_token(case: Case, who: Principal) -> str | None:
    if case.role == "customer":
        return who.customer_token
    return who.manager_key  # the strongest key: a refusal is then about the store, not the role


def _leaks(answer: httpx.Response, world: World) -> list[str]:
    return [secret for secret in world.secrets if secret in answer.text]


def _check(client: httpx.Client, method: str, path: str, case: Case, world: World) -> list[str]:
    name = f"{method.upper()} {path}"
    failures = []
    own = _fill(path, world.a.store_id, world.values)
    if own is None:
        return [f"{name}: no value for a path parameter"]
    bare = _call(client, method, own, case, None)
    if bare.status_code != 401:
        failures.append(f"{name}: {bare.status_code} without credentials, not 401")
    intruder = _owner_token(case, world.b)
    if case.role in ("terminal", "manager"):
        crossed = _call(client, method, own, case, intruder)
        if crossed.status_code != 404:
            failures.append(f"{name}: {crossed.status_code} with another store's key, not 404")
        if leaked := _leaks(crossed, world):
            failures.append(f"{name}: another store's key sees {leaked}")
    has_object = any("{" + p + "}" in path for p in OBJECT_PARAMETERS)
    if has_object:
        theirs = _fill(path, world.b.store_id, world.values)
        assert theirs is not None
        crossed = _call(client, method, theirs, case, intruder)
        if crossed.status_code != 404:
            failures.append(f"{name}: {crossed.status_code} for another's object, not 404")
        if leaked := _leaks(crossed, world):
            failures.append(f"{name}: another's object shows {leaked}")
    elif case.role == "customer" and method == "get":
        # (A customer route without an object acts on the caller's own data: a DELETE there
        # would end the intruder's own session, which is its right.)
        mine = _call(client, method, own, case, intruder)
        if leaked := _leaks(mine, world):
            failures.append(f"{name}: another customer's token sees {leaked}")
    if case.role == "manager":
        weaker = _call(client, method, own, case, world.a.terminal_key)
        if weaker.status_code != 403:
            failures.append(f"{name}: {weaker.status_code} with a terminal key, not 403")
    return failures
