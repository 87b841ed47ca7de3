"""Location mining: users walk to a place, the oracle checks their fixes and signs, and the
exchange relays the claims so the reward lands in each user's wallet.

- Two users walk realistic tracks (one fix a minute, at walking speed) into Seoul City
  Hall's plaza and both claim in an `Everyone` campaign.
- Both walk on to Gyeongbokgung for a `FirstCome` campaign with a cap of 1: the first
  claim is paid, the second is refused on chain.
- A third user "teleports" from Busan and is refused by the oracle.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ape.exceptions import ContractLogicError
from eth_utils.crypto import keccak

from coinpos.demo.context import DemoContext, quiet_stdout
from coinpos.mining.chain import CampaignSpec, Mode, create_campaign, read_campaign, submit_claim
from coinpos.mining.fixes import ClaimRequest, Fix
from coinpos.mining.geo import destination_e6
from coinpos.mining.oracle import ClaimOracle
from coinpos.mining.signing import ApeAccountSigner
from coinpos.money import format_amount

CITY_HALL = (37_566_535, 126_977_969)
GYEONGBOKGUNG = (37_579_617, 126_977_041)
BUSAN_STATION = (35_115_225, 129_041_554)
WALKING_METRES_PER_MINUTE = 80  # 4.8 km/h
MAX_ACCURACY_M = 25.0


@dataclass
class MiningOutcome:
    everyone_campaign: int = 0
    first_come_campaign: int = 0
    paid: dict[str, int] = field(default_factory=dict)
    refused_on_chain: dict[str, str] = field(default_factory=dict)
    refused_by_oracle: dict[str, str] = field(default_factory=dict)


class _Clock:
    """The oracle's clock, replaying a track's timeline up to now."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _track(centre: tuple[int, int], bearing: float, minutes: int, end: int) -> list[Fix]:
    """Fixes a minute apart, walking from `minutes` away straight into the centre."""
    fixes = []
    for left in range(minutes, -1, -1):
        lat, lon = destination_e6(*centre, bearing, WALKING_METRES_PER_MINUTE * left)
        fixes.append(Fix(lat, lon, 6.0 + left, end - 60 * left))
    return fixes


def run(ctx: DemoContext) -> MiningOutcome:
    cast, chain = ctx.cast, ctx.chain
    emoney = ctx.contract("EMoney")
    geo = ctx.contract("GeoRewards")
    decimals = emoney.decimals()
    outcome = MiningOutcome()
    now = max(int(time.time()), int(chain.pending_timestamp))
    symbol = str(emoney.symbol())
    ctx.chapter(8)

    clock = _Clock(now)
    oracle = ClaimOracle(
        ctx.engine, chain_id=chain.chain_id, contract=geo.address,
        signer=ApeAccountSigner(cast.oracle), clock=clock,
    )  # fmt: skip

    def show(amount: int) -> str:
        return format_amount(int(amount), int(decimals), symbol)

    def campaign(centre: tuple[int, int], action: str, reward: int, mode: Mode, cap: int) -> int:
        spec = CampaignSpec(
            lat_e6=centre[0], lon_e6=centre[1], radius_m=60, action_id=keccak(text=action),
            token=emoney.address, reward_per_claim=reward, mode=mode, max_claims=cap,
            start=now - 3600, end=now + 7 * 86_400,
        )  # fmt: skip
        budget = reward * 10
        emoney.mint(
            cast.operator, budget, keccak(text=f"campaign budget {action}"), sender=cast.minter
        )
        campaign_id = create_campaign(geo, emoney, spec, budget, cast.operator)
        # The name goes with it, so the wallet page can tell shoppers what to do.
        oracle.register_campaign(read_campaign(geo, campaign_id).terms(MAX_ACCURACY_M), action)
        kind = "everyone" if mode is Mode.EVERYONE else f"first {cap} to come"
        ctx.say(
            f"campaign {campaign_id}: '{action}' within {spec.radius_m} m of "
            f"({centre[0] / 1e6:.6f}, {centre[1] / 1e6:.6f}), {show(reward)} each, {kind}, "
            f"budget {show(budget)}"
        )
        return campaign_id

    outcome.everyone_campaign = campaign(
        CITY_HALL, "scan-the-city-hall-poster", 5 * 10**decimals, Mode.EVERYONE, 0
    )
    outcome.first_come_campaign = campaign(
        GYEONGBOKGUNG, "check-in-at-the-palace-gate", 20 * 10**decimals, Mode.FIRST_COME, 1
    )

    def claim(who: str, user: Any, campaign_id: int, action: str, fixes: list[Fix]) -> None:
        for fix in fixes[:-1]:
            clock.now = fix.timestamp
            oracle.record_fix(user.address, fix)
        clock.now = fixes[-1].timestamp
        request = ClaimRequest(campaign_id, user.address, keccak(text=action), fixes[-1])
        decision = oracle.check_claim(request)
        if not decision.approved:
            assert decision.reason is not None
            outcome.refused_by_oracle[who] = decision.reason.value
            ctx.say(f"  {who}: refused by the oracle ({decision.reason.value}: {decision.detail})")
            return
        before = emoney.balanceOf(user)
        try:
            with quiet_stdout():
                tx_hash = submit_claim(geo, oracle.signed_claim(decision), cast.operator)
        except ContractLogicError as exc:
            outcome.refused_on_chain[who] = type(exc).__name__
            ctx.say(f"  {who}: approved by the oracle, refused on chain ({type(exc).__name__})")
            return
        assert decision.attestation is not None
        oracle.mark_submitted(decision.attestation.claim_id, tx_hash)
        paid = emoney.balanceOf(user) - before
        outcome.paid[f"{who}@{campaign_id}"] = paid
        ctx.say(f"  {who}: walked {len(fixes)} fixes in, claimed {show(paid)} (tx {tx_hash[:18]}…)")

    alice, bob = cast.walkers
    ctx.say("two users walk into the City Hall plaza:")
    claim("alice", alice, outcome.everyone_campaign, "scan-the-city-hall-poster",
          _track(CITY_HALL, 200.0, 5, now - 500))  # fmt: skip
    claim("bob", bob, outcome.everyone_campaign, "scan-the-city-hall-poster",
          _track(CITY_HALL, 20.0, 4, now - 450))  # fmt: skip
    # The oracle signs attestations valid for ten minutes, so each walk ends just before
    # its claim is relayed; the rides between the two places are at cycling speed.
    ctx.say("then on to the palace gate, where only the first comer is paid:")
    claim("alice", alice, outcome.first_come_campaign, "check-in-at-the-palace-gate",
          _track(GYEONGBOKGUNG, 190.0, 4, now - 60))  # fmt: skip
    claim("bob", bob, outcome.first_come_campaign, "check-in-at-the-palace-gate",
          _track(GYEONGBOKGUNG, 170.0, 4, now))  # fmt: skip
    ctx.say("a third user reports a fix in Busan, then one at City Hall 90 seconds later:")
    busan = Fix(*BUSAN_STATION, 5.0, now - 90)
    at_city_hall = Fix(*CITY_HALL, 5.0, now)
    claim("carol", cast.teleporter, outcome.everyone_campaign, "scan-the-city-hall-poster",
          [busan, at_city_hall])  # fmt: skip
    return outcome
