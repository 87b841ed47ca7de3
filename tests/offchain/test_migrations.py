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


@pytest.mark.postgres
def test_action_names_migration__leaves_campaigns_unnamed_and_downgrades(engine: Engine) -> None:
    downgrade(engine, "0990_heads")
    assert "action_name" not in _columns(engine, "mining_campaigns")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO mining_campaigns (chain_id, contract, campaign_id, lat_e6, lon_e6, "
                "radius_m, action_id, token, reward_per_claim, first_come, max_claims, "
                "start_time, end_time, max_accuracy_m, claim_id_prefix) VALUES (1, :contract, "
                "7, 0, 0, 100, :action, :contract, 5, false, 0, 0, 10, 25.0, 'ab')"
            ),
            {"contract": "0x" + "ab" * 20, "action": "0x" + "cd" * 32},
        )
    upgrade(engine, "1000_mining_action_names")
    with engine.connect() as conn:
        names = conn.execute(text("select campaign_id, action_name from mining_campaigns")).all()
    assert [tuple(row) for row in names] == [(7, None)]  # the chain never told us its name
    downgrade(engine, "0990_heads")
    assert "action_name" not in _columns(engine, "mining_campaigns")
    with engine.connect() as conn:
        assert conn.scalar(text("select campaign_id from mining_campaigns")) == 7


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}
