"""Oracle fixtures: a real migrated database, a throwaway oracle key, a settable clock, tracks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak
from sqlalchemy import Engine

import coinpos.db.models.mining  # noqa: F401  (registers the mining tables on Base.metadata)
from coinpos.mining.fixes import ClaimRequest, Fix
from coinpos.mining.geo import destination_e6
from coinpos.mining.oracle import CampaignTerms, ClaimOracle, OraclePolicy
from coinpos.mining.signing import LocalKeySigner

CHAIN_ID = 31337
CONTRACT = "0x" + "ab" * 20
START = 1_800_000_000
CENTRE = (37_566_535, 126_977_969)  # Seoul City Hall
BUSAN = (35_179_554, 129_075_642)
ACTION = keccak(text="scan-the-poster")
ALICE = "0x" + "a1" * 20
BOB = "0x" + "b2" * 20


@dataclass
class Clock:
    """The oracle's time source, moved by the test."""

    now: float = START + 3600

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def oracle_key() -> Any:
    return Account.create()


def make_oracle(engine: Engine, key: Any, clock: Clock, **policy: Any) -> ClaimOracle:
    return ClaimOracle(
        engine,
        chain_id=CHAIN_ID,
        contract=CONTRACT,
        signer=LocalKeySigner(key.key),
        policy=OraclePolicy(**policy),
        clock=clock,
    )


def terms(campaign_id: int = 1, **overrides: Any) -> CampaignTerms:
    fields: dict[str, Any] = {
        "campaign_id": campaign_id,
        "lat_e6": CENTRE[0],
        "lon_e6": CENTRE[1],
        "radius_m": 100,
        "action_id": ACTION,
        "token": "0xCdCDCdCdcdcdcdCdcDcDCdcDcDCdCdcdCdcDCDcD",
        "reward_per_claim": 500,
        "first_come": False,
        "max_claims": 0,
        "start": START,
        "end": START + 86_400,
        "max_accuracy_m": 25.0,
    }
    fields.update(overrides)
    return CampaignTerms(**fields)


@pytest.fixture
def oracle(engine: Engine, oracle_key: Any, clock: Clock) -> ClaimOracle:
    service = make_oracle(engine, oracle_key, clock)
    service.register_campaign(terms())
    return service


def walk_in(clock: Clock, steps: int = 5, step_m: float = 80.0, bearing: float = 0.0) -> list[Fix]:
    """A walk to the centre from `steps * step_m` metres away (at `bearing` from it), one fix
    a minute at walking speed (80 m/min = 4.8 km/h), starting at the clock's current time;
    the last fix is at the centre."""
    start = int(clock.now)
    fixes = []
    for k, i in enumerate(range(steps, -1, -1)):
        lat, lon = destination_e6(*CENTRE, bearing, i * step_m)
        fixes.append(Fix(lat, lon, 8.0, start + 60 * k))
    return fixes


def record_at(oracle: ClaimOracle, clock: Clock, account: str, fix: Fix) -> object:
    """Records a track fix as it arrives: the clock is set to the fix's time first."""
    clock.now = fix.timestamp
    return oracle.record_fix(account, fix)


def claim_with(fix: Fix, recipient: str = ALICE, **overrides: Any) -> ClaimRequest:
    fields: dict[str, Any] = {
        "campaign_id": 1, "recipient": recipient, "action_id": ACTION, "fix": fix,
    }  # fmt: skip
    fields.update(overrides)
    return ClaimRequest(**fields)


Walk = Callable[..., list[Fix]]
