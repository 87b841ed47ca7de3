"""`coinpos terminals issue-key|keys|revoke-key`: shown once, stored hashed, listed with their
last use, revoked keys refused by the server."""

from __future__ import annotations

import json

import httpx
from click.testing import CliRunner
from sqlalchemy import Engine, select

from coinpos.cli import cli
from coinpos.db.models import ApiKey
from coinpos.stores.service import add_terminal
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.factories import make_store
from tests.server.conftest import bearer


def _run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner(mix_stderr=False).invoke(cli, ["--db", db_url, *args])
    return result.exit_code, result.stdout, result.stderr


def test_issue_list_use_and_revoke_a_key(db_url: str, engine: Engine, client: httpx.Client) -> None:
    store = make_store(engine)
    with UnitOfWork(engine) as uow:
        add_terminal(uow, store.store_id, "T1", "front")
    code, out, _ = _run(db_url, "terminals", "issue-key", store.store_id, "T1", "--json")
    assert code == 0
    issued = json.loads(out)
    key, prefix = issued["key"], issued["prefix"]
    assert issued["role"] == "terminal" and key.startswith(f"cpk_{prefix}_")
    with UnitOfWork(engine) as uow:
        stored = uow.session.scalars(select(ApiKey.key_hash)).one()
    assert key.split("_", 2)[2] not in stored and len(stored) == 64

    catalogue = f"/api/v1/stores/{store.store_id}/catalogue"
    assert client.get(catalogue, headers=bearer(key)).status_code == 200
    code, out, _ = _run(db_url, "terminals", "keys", store.store_id, "--json")
    [listed] = json.loads(out)
    assert listed["prefix"] == prefix and listed["last_used_at"] is not None
    assert "key" not in listed

    code, out, _ = _run(db_url, "terminals", "revoke-key", prefix, "--json")
    assert code == 0 and json.loads(out)["revoked_at"] is not None
    refused = client.get(catalogue, headers=bearer(key))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the API key is not valid"
    wrong_secret = client.get(catalogue, headers=bearer(key[:-2] + "xx"))
    assert wrong_secret.status_code == 401


def test_bad_key_requests_are_one_line_errors_that_write_nothing(
    db_url: str, engine: Engine
) -> None:
    store = make_store(engine)
    code, _, err = _run(db_url, "terminals", "issue-key", store.store_id, "NOPE")
    assert code == 2 and err.count("\n") == 1 and "has no terminal 'NOPE'" in err
    code, _, err = _run(db_url, "terminals", "issue-key", store.store_id, "T1", "--role", "boss")
    assert code == 2 and "Traceback" not in err
    code, _, err = _run(db_url, "terminals", "revoke-key", "000000000000")
    assert code == 2 and "no API key with prefix 000000000000" in err
    with UnitOfWork(engine) as uow:
        assert uow.session.scalars(select(ApiKey)).all() == []


def test_last_use_is_kept_to_the_minute(engine: Engine) -> None:
    from datetime import timedelta

    from coinpos.apikeys.service import authenticate_key, issue_key
    from coinpos.db.types import utcnow

    store = make_store(engine)
    with UnitOfWork(engine) as uow:
        add_terminal(uow, store.store_id, "T1", "front")
    with UnitOfWork(engine) as uow:
        key = issue_key(uow, store.store_id, "T1").key
    start = utcnow()
    seen = []
    for seconds in (0, 30, 61):
        with UnitOfWork(engine) as uow:
            authenticate_key(uow, key, now=start + timedelta(seconds=seconds))
        with UnitOfWork(engine) as uow:
            seen.append(uow.session.scalars(select(ApiKey.last_used_at)).one())
    assert seen == [start, start, start + timedelta(seconds=61)]
