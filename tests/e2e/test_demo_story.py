"""The demo's story, run chapter by chapter on the test chain, with its end state checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from coinpos.db.engine import make_engine
from coinpos.db.migrate import upgrade
from coinpos.db.models import MiningCampaign, MiningClaim
from coinpos.demo import mining
from coinpos.demo.context import Cast, DemoContext
from coinpos.deployer import deploy_all, load_params


@pytest.fixture
def demo(project: Any, chain: Any, accounts: Any, tmp_path: Path) -> DemoContext:
    cast = Cast.from_test_accounts(accounts)
    deployment = deploy_all(
        project, chain, cast.admin, load_params("ethereum:local"),
        tmp_path / "ethereum-local.json", test_accounts=accounts, log=lambda _: None,
    )  # fmt: skip
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(engine)
    return DemoContext(project, chain, deployment, cast, engine, say=lambda _: None)


def test_mining_story__pays_walkers_and_refuses_second_comer_and_teleporter(
    demo: DemoContext,
) -> None:
    emoney = demo.contract("EMoney")
    geo = demo.contract("GeoRewards")
    unit = 10 ** emoney.decimals()
    alice, bob = demo.cast.walkers

    outcome = mining.run(demo)

    everyone, first_come = outcome.everyone_campaign, outcome.first_come_campaign
    assert outcome.paid == {
        f"alice@{everyone}": 5 * unit,
        f"bob@{everyone}": 5 * unit,
        f"alice@{first_come}": 20 * unit,
    }
    assert outcome.refused_on_chain == {"bob": "GeoRewardsCapReached"}
    assert outcome.refused_by_oracle == {"carol": "impossible_speed"}

    assert emoney.balanceOf(alice) == 25 * unit
    assert emoney.balanceOf(bob) == 5 * unit
    assert emoney.balanceOf(demo.cast.teleporter) == 0
    assert geo.hasClaimed(everyone, alice) and geo.hasClaimed(everyone, bob)
    assert not geo.hasClaimed(first_come, bob)
    # Two budgets of ten rewards each, less what was paid.
    assert emoney.balanceOf(geo) == (50 + 200 - 30) * unit

    names = {alice.address: "alice", bob.address: "bob", demo.cast.teleporter.address: "carol"}
    with Session(demo.engine) as session:
        rows = session.execute(
            select(MiningCampaign.campaign_id, MiningClaim.recipient, MiningClaim.status).join(
                MiningCampaign, MiningCampaign.id == MiningClaim.campaign_pk
            )
        )
        claims = sorted((campaign, names[who], status.value) for campaign, who, status in rows)
    assert claims == [
        (everyone, "alice", "submitted"),
        (everyone, "bob", "submitted"),
        (everyone, "carol", "rejected"),
        (first_come, "alice", "submitted"),
        # Approved by the oracle, refused by the contract: never marked submitted.
        (first_come, "bob", "approved"),
    ]
