from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from coinpos.db.base import Base


@pytest.mark.postgres
def test_migrated_schema__matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_exchange_migration__branches_off_the_baseline() -> None:
    from alembic.script import ScriptDirectory

    from coinpos.db.migrate import MIGRATIONS_DIR

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    revision = script.get_revision("0200_exchange")
    assert revision is not None
    assert revision.down_revision == "0001_baseline"
