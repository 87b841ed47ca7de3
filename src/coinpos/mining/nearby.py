"""The campaigns near a position: the exchange's copy of the GeoRewards campaigns (what the
oracle registered), nearest first, with each one's distance measured as the contract does
(`distance_metres`) and its reward in the reward coin when the exchange knows that coin.

Only what the exchange knows off chain: a campaign's remaining budget and pause flag live on
chain, so a listed campaign may still refuse a claim for those reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import Coin, MiningCampaign
from coinpos.mining.geo import check_point, distance_metres

# How far from the position a campaign's centre may be to count as near.
NEARBY_METRES = 50_000
NEARBY_LIMIT = 20


@dataclass(frozen=True)
class NearbyCampaign:
    chain_id: int
    contract: str
    campaign_id: int
    action_id: str  # 0x-prefixed bytes32, as the contract keeps it
    action_name: str | None  # what action_id is the keccak256 of, when the oracle was told
    reward_per_claim: int  # base units of `token`
    token: str
    coin: str | None  # the reward coin's symbol and decimals, when the exchange lists it
    decimals: int | None
    distance_m: int
    radius_m: int
    first_come: bool
    max_claims: int
    start: int
    end: int

    @property
    def inside(self) -> bool:
        """Whether the position is within the place (the contract's own test)."""
        return self.distance_m <= self.radius_m

    def started(self, now: int) -> bool:
        return self.start <= now


def campaigns_near(
    session: Session,
    lat_e6: int,
    lon_e6: int,
    now: int,
    within_m: int = NEARBY_METRES,
    limit: int = NEARBY_LIMIT,
) -> list[NearbyCampaign]:
    """Campaigns not yet ended whose centre is within `within_m` of the point, nearest first.

    Raises ValueError for a point that is not a latitude and longitude in micro-degrees.
    """
    check_point(lat_e6, lon_e6)
    coins = {
        (coin.chain_id, coin.address.lower()): coin
        for coin in session.scalars(select(Coin).where(Coin.address.is_not(None)))
        if coin.address is not None
    }
    found = []
    rows = session.scalars(select(MiningCampaign).where(MiningCampaign.end_time > now))
    for row in rows:
        distance = distance_metres(lat_e6, lon_e6, row.lat_e6, row.lon_e6)
        if distance > within_m:
            continue
        coin = coins.get((row.chain_id, row.token.lower()))
        found.append(
            NearbyCampaign(
                chain_id=row.chain_id, contract=row.contract, campaign_id=row.campaign_id,
                action_id=row.action_id, action_name=row.action_name,
                reward_per_claim=row.reward_per_claim,
                token=row.token, coin=coin.symbol if coin else None,
                decimals=coin.decimals if coin else None, distance_m=distance,
                radius_m=row.radius_m, first_come=row.first_come, max_claims=row.max_claims,
                start=row.start_time, end=row.end_time,
            )
        )  # fmt: skip
    found.sort(key=lambda c: (c.distance_m, c.chain_id, c.contract, c.campaign_id))
    return found[:limit]
