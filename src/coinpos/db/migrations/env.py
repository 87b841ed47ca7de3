"""Alembic environment: the engine is handed over by coinpos.db.migrate, never read from a file."""

from __future__ import annotations

from alembic import context

from coinpos.db import models  # noqa: F401  (registers every table on Base.metadata)
from coinpos.db.base import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
