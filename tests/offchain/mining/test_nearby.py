"""Campaigns near a position, from the exchange's copy of the GeoRewards campaigns: nearest
first, distances as the contract measures them, ended and far campaigns left out, the
reward in the coin the exchange lists for the campaign's token."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from coinpos.mining.geo import destination_e6, distance_metres
from coinpos.mining.nearby import NEARBY_METRES, campaigns_near
from coinpos.mining.oracle import ClaimOracle
from coinpos.stores.service import add_coin
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.mining.conftest import BUSAN, CENTRE, CHAIN_ID, START, terms

NOW = START + 3600
TOKEN = "0xCdCDCdCdcdcdcdCdcDcDCdcDcDCdCdcdCdcDCDcD"


def test_campaigns_near__nearest_first__far_and_ended_ones_left_out(
    oracle: ClaimOracle, engine: Engine
) -> None:
    # Campaign 1 (from the fixture) is at CENTRE; 2 is 3 km north; 3 in Busan; 4 has ended;
    # 5 is just past the edge of "near".
    north = destination_e6(*CENTRE, 0.0, 3000.0)
    edge = destination_e6(*CENTRE, 180.0, NEARBY_METRES + 200)
    oracle.register_campaign(
        terms(2, lat_e6=north[0], lon_e6=north[1], first_come=True, max_claims=3),
        "scan-the-poster",
    )
    oracle.register_campaign(terms(3, lat_e6=BUSAN[0], lon_e6=BUSAN[1]))
    oracle.register_campaign(terms(4, end=NOW - 1))
    oracle.register_campaign(terms(5, lat_e6=edge[0], lon_e6=edge[1]))
    here = destination_e6(*CENTRE, 90.0, 60.0)
    with UnitOfWork(engine) as uow:
        found = campaigns_near(uow.session, *here, NOW)
    assert [c.campaign_id for c in found] == [1, 2]
    nearest, north_one = found
    assert nearest.distance_m == distance_metres(*here, *CENTRE)
    assert 55 <= nearest.distance_m <= 65 and nearest.inside
    assert north_one.distance_m == distance_metres(*here, *north) and not north_one.inside
    assert north_one.first_come and north_one.max_claims == 3
    assert (nearest.action_name, north_one.action_name) == (None, "scan-the-poster")
    assert nearest.coin is None and nearest.reward_per_claim == 500  # an unlisted token
    # The control: from Busan, only the Busan campaign is near.
    with UnitOfWork(engine) as uow:
        assert [c.campaign_id for c in campaigns_near(uow.session, *BUSAN, NOW)] == [3]


def test_campaigns_near__a_listed_token_gives_the_reward_coin(
    oracle: ClaimOracle, engine: Engine
) -> None:
    with UnitOfWork(engine) as uow:
        add_coin(uow, "CPW", CHAIN_ID, 2, TOKEN)
    with UnitOfWork(engine) as uow:
        [found] = campaigns_near(uow.session, *CENTRE, NOW)
    assert (found.coin, found.decimals, found.distance_m) == ("CPW", 2, 0)


def test_campaigns_near__a_point_off_the_globe_is_refused(engine: Engine) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(ValueError, match="latitude"):
        campaigns_near(uow.session, 90_000_001, 0, NOW)
