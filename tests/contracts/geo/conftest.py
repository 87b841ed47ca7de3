"""GeoRewards fixtures: a deployment with roles, a campaign factory, an attestation signer."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import pytest
from eth_utils import keccak

from coinpos.mining.signing import ClaimAttestation, LocalKeySigner, sign_attestation
from tests.conftest import ONE_EMONEY

# Seoul City Hall, the centre of the test place.
CENTRE = (37_566_535, 126_977_969)
RADIUS = 100
ACTION = keccak(text="scan-the-poster")
REWARD = 5 * ONE_EMONEY
DAY = 86_400


class Mode(IntEnum):
    """Mirror of IGeoRewards.Mode."""

    EVERYONE = 0
    FIRST_COME = 1


@pytest.fixture(scope="session")
def manager(accounts: Any) -> Any:
    """Holds CAMPAIGN_MANAGER_ROLE and funds campaigns."""
    return accounts[8]


@pytest.fixture(scope="session")
def relayer(accounts: Any) -> Any:
    """Submits claims on behalf of users, with no role."""
    return accounts[9]


@pytest.fixture(scope="session")
def deploy_geo(project: Any, admin: Any, manager: Any, oracle: Any) -> Callable[[], Any]:
    """Factory: a GeoRewards with the manager, oracle and pauser (admin) roles granted."""

    def deploy() -> Any:
        geo = admin.deploy(project.GeoRewards, admin)
        geo.grantRole(geo.CAMPAIGN_MANAGER_ROLE(), manager, sender=admin)
        geo.grantRole(geo.ORACLE_ROLE(), oracle, sender=admin)
        geo.grantRole(geo.PAUSER_ROLE(), admin, sender=admin)
        return geo

    return deploy


@pytest.fixture
def geo(deploy_geo: Callable[[], Any]) -> Any:
    return deploy_geo()


@pytest.fixture
def funded_manager(emoney: Any, minter: Any, manager: Any) -> Any:
    emoney.mint(manager, 1_000_000 * ONE_EMONEY, b"\x00" * 32, sender=minter)
    return manager


def campaign_params(chain: Any, coin: Any, **overrides: Any) -> dict[str, Any]:
    now = chain.pending_timestamp
    params: dict[str, Any] = {
        "latE6": CENTRE[0],
        "lonE6": CENTRE[1],
        "radiusMetres": RADIUS,
        "actionId": ACTION,
        "token": coin.address,
        "rewardPerClaim": REWARD,
        "mode": Mode.EVERYONE,
        "maxClaims": 0,
        "start": now - 60,
        "end": now + DAY,
    }
    params.update(overrides)
    return params


def as_tuple(params: dict[str, Any]) -> tuple[Any, ...]:
    keys = (
        "latE6", "lonE6", "radiusMetres", "actionId", "token",
        "rewardPerClaim", "mode", "maxClaims", "start", "end",
    )  # fmt: skip
    return tuple(params[k] for k in keys)


@pytest.fixture
def create_campaign(chain: Any, geo: Any, emoney: Any, funded_manager: Any) -> Callable[..., int]:
    """Factory: creates a campaign funded with `budget` (default 100 rewards); returns its id."""

    def create(budget: int = 100 * REWARD, on: Any = None, **overrides: Any) -> int:
        target = on or geo
        emoney.approve(target, budget, sender=funded_manager)
        params = campaign_params(chain, emoney, **overrides)
        tx = target.createCampaign(as_tuple(params), budget, sender=funded_manager)
        return int(tx.return_value)

    return create


@dataclass(frozen=True)
class Signed:
    attestation: ClaimAttestation
    signer: str
    signature: bytes

    def args(self) -> tuple[Any, str, bytes]:
        return self.attestation.as_tuple(), self.signer, self.signature


@pytest.fixture
def claim_ids() -> Iterator[int]:
    return itertools.count(1)


@pytest.fixture
def attest(chain: Any, geo: Any, oracle: Any, claim_ids: Iterator[int]) -> Callable[..., Signed]:
    """Signs an attestation with the oracle's key through coinpos' own signer.

    Defaults: a position at the centre, the campaign's action, a fresh claim id and a
    deadline an hour ahead, for `geo` on the current chain id.
    """

    def sign(
        campaign_id: int,
        recipient: Any,
        position: tuple[int, int] = CENTRE,
        *,
        action: bytes = ACTION,
        claim_id: int | None = None,
        deadline: int | None = None,
        key: Any = None,
        signer_address: str | None = None,
        chain_id: int | None = None,
        contract: Any = None,
    ) -> Signed:
        attestation = ClaimAttestation(
            campaign_id=campaign_id,
            recipient=str(recipient),
            lat_e6=position[0],
            lon_e6=position[1],
            action_id=action,
            claim_id=(next(claim_ids) if claim_id is None else claim_id).to_bytes(32, "big"),
            deadline=chain.pending_timestamp + 3600 if deadline is None else deadline,
        )
        account = key or oracle
        signature = sign_attestation(
            LocalKeySigner(account.private_key),
            attestation,
            chain.chain_id if chain_id is None else chain_id,
            (contract or geo).address,
        )
        return Signed(attestation, signer_address or account.address, signature)

    return sign
