from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text

from coinpos.db.base import Base
from coinpos.db.migrate import downgrade, upgrade


@pytest.mark.postgres
def test_upgrade__creates_every_model_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


@pytest.mark.postgres
def test_upgrade__twice_is_a_no_op(engine: Engine) -> None:
    with engine.connect() as conn:
        before = sorted(r[0] for r in conn.execute(text("select version_num from alembic_version")))
    upgrade(engine)
    with engine.connect() as conn:
        after = sorted(r[0] for r in conn.execute(text("select version_num from alembic_version")))
    assert before == after
    assert before


def test_downgrade_to_base__drops_every_model_table(engine: Engine) -> None:
    downgrade(engine, "base")
    tables = set(inspect(engine).get_table_names())
    assert not (set(Base.metadata.tables) & tables)
