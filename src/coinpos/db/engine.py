"""Engines and sessions. SQLite under `.coinpos/` is the embedded default; PostgreSQL by URL.

The URL comes from the `--db` option or `COINPOS_DATABASE_URL`, and is checked before any
connection: an empty or unparsable URL, or a backend coinpos does not run on, is refused.

Only what creates the schema may create a SQLite file (`coinpos db upgrade`, the scripts and
commands that migrate first): every other caller passes `create=False`, so a mistyped
path is refused without leaving an empty database (or its folder) behind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from coinpos.errors import CoinposError

DEFAULT_SQLITE_PATH = Path(".coinpos") / "coinpos.db"
BACKENDS = ("sqlite", "postgresql")


class DatabaseUrlError(CoinposError):
    """A database URL that cannot be used."""


class DatabaseMissingError(CoinposError):
    """A SQLite file that does not exist, given to a command that does not create it."""


def database_url(url: str | None = None) -> str:
    if url is not None:
        return url
    if env := os.environ.get("COINPOS_DATABASE_URL"):
        return env
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def parse_database_url(text: str) -> URL:
    """The URL, if coinpos can run on it; the message never repeats a password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    if not text.strip():
        raise DatabaseUrlError("the database URL is empty")
    try:
        url = make_url(text)
    except ArgumentError:
        raise DatabaseUrlError(
            "the database URL is not a URL such as sqlite:///path/coinpos.db "
            "or postgresql+psycopg://host/db"
        ) from None
    if url.get_backend_name() not in BACKENDS:
        raise DatabaseUrlError(
            f"database scheme {url.drivername!r} is not one coinpos runs on ({', '.join(BACKENDS)})"
        )
    try:
        url.get_dialect()
    except (NoSuchModuleError, ImportError):
        raise DatabaseUrlError(f"no database driver {url.drivername!r} is installed") from None
    return url


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL; None for another backend or an in-memory database."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def make_engine(url: str | None = None, *, create: bool = True, **kwargs: Any) -> Engine:
    """An engine on the URL; with `create=False`, a missing SQLite file is refused."""
    resolved = parse_database_url(database_url(url))
    path = sqlite_path(resolved)
    if path is not None:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.is_file():
            raise DatabaseMissingError(
                f"no database at {path}: create it with `coinpos db upgrade`"
            )
    engine = create_engine(resolved, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets the tracker and the CLI share a file.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
