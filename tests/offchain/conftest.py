"""Database fixtures for off-chain tests: a real SQLite file, and a real PostgreSQL.

`engine` is parametrized over both backends for tests marked `postgres`; other tests get
SQLite only. PostgreSQL is found at COINPOS_TEST_POSTGRES_URL (default: the server on
127.0.0.1:5432, database `test`). Each test gets a database of its own, migrated with
Alembic, and dropped afterwards. When no server answers, the PostgreSQL variants skip
locally but fail under CI=true, where the server must be there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from coinpos.db.engine import make_engine
from coinpos.db.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "COINPOS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_admin() -> Engine:
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def _postgres_available() -> str | None:
    try:
        with _postgres_admin().connect() as conn:
            conn.execute(text("select 1"))
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_backend" in metafunc.fixturenames:
        backends = ["sqlite"]
        if metafunc.definition.get_closest_marker("postgres"):
            backends.append("postgres")
        metafunc.parametrize("db_backend", backends, indirect=False)


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database on the requested backend."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'coinpos.db'}"
        return
    problem = _postgres_available()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL must answer in CI at {POSTGRES_URL}: {problem}")
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES_URL} ({problem})")
    name = f"coinpos_test_{uuid.uuid4().hex[:12]}"
    admin = _postgres_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a fresh database, migrated to the latest schema."""
    eng = make_engine(db_url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()
