"""GeoRewards calls through ape: create and fund campaigns, read them, submit claims, list rewards.

Every function takes the connected `geo` contract instance (see `geo_at`), so a script or the CLI
chooses the network; nothing here picks one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_utils.address import to_checksum_address

from coinpos.mining.errors import MiningError
from coinpos.mining.oracle import CampaignTerms
from coinpos.mining.signing import SignedClaim

CONTRACT_NAME = "GeoRewards"


class Mode(IntEnum):
    """Mirror of IGeoRewards.Mode."""

    EVERYONE = 0
    FIRST_COME = 1


@dataclass(frozen=True)
class CampaignSpec:
    """The terms of a new campaign (`IGeoRewards.CampaignParams`); amounts in base units."""

    lat_e6: int
    lon_e6: int
    radius_m: int
    action_id: bytes
    token: str
    reward_per_claim: int
    mode: Mode
    max_claims: int
    start: int
    end: int

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.lat_e6, self.lon_e6, self.radius_m, self.action_id,
            to_checksum_address(self.token), self.reward_per_claim, int(self.mode),
            self.max_claims, self.start, self.end,
        )  # fmt: skip


@dataclass(frozen=True)
class CampaignState:
    """A campaign as the contract reports it now."""

    campaign_id: int
    spec: CampaignSpec
    budget: int
    claims: int
    paused: bool

    def terms(self, max_accuracy_m: float) -> CampaignTerms:
        s = self.spec
        return CampaignTerms(
            campaign_id=self.campaign_id, lat_e6=s.lat_e6, lon_e6=s.lon_e6,
            radius_m=s.radius_m, action_id=s.action_id, token=s.token,
            reward_per_claim=s.reward_per_claim, first_come=s.mode is Mode.FIRST_COME,
            max_claims=s.max_claims, start=s.start, end=s.end, max_accuracy_m=max_accuracy_m,
        )  # fmt: skip


@dataclass(frozen=True)
class Reward:
    campaign_id: int
    amount: int
    claim_id: str
    block: int
    tx_hash: str


def geo_at(address: str) -> Any:
    """The GeoRewards contract at `address`, typed from this project's build."""
    from ape import chain, project

    if not chain.provider.get_code(address):
        raise MiningError(
            f"no contract at {address} on this network: deploy with `ape run deploy` first"
        )
    return project.GeoRewards.at(address)


def create_campaign(geo: Any, token: Any, spec: CampaignSpec, budget: int, sender: Any) -> int:
    """Approves the budget if needed, creates the campaign, and returns its id."""
    if budget and token.allowance(sender, geo) < budget:
        token.approve(geo, budget, sender=sender)
    receipt = geo.createCampaign(spec.as_tuple(), budget, sender=sender)
    [event] = receipt.events.filter(geo.CampaignCreated)
    return int(event.campaignId)


def top_up(geo: Any, token: Any, campaign_id: int, amount: int, sender: Any) -> int:
    """Adds `amount` to the budget; returns the new budget."""
    if token.allowance(sender, geo) < amount:
        token.approve(geo, amount, sender=sender)
    receipt = geo.topUp(campaign_id, amount, sender=sender)
    [event] = receipt.events.filter(geo.CampaignToppedUp)
    return int(event.budget)


def read_campaign(geo: Any, campaign_id: int) -> CampaignState:
    if not 1 <= campaign_id <= int(geo.campaignCount()):
        raise MiningError(f"campaign {campaign_id} does not exist on {geo.address}")
    c = geo.campaign(campaign_id)
    spec = CampaignSpec(
        lat_e6=int(c.latE6), lon_e6=int(c.lonE6), radius_m=int(c.radiusMetres),
        action_id=bytes(c.actionId), token=to_checksum_address(c.token),
        reward_per_claim=int(c.rewardPerClaim), mode=Mode(int(c.mode)),
        max_claims=int(c.maxClaims), start=int(c.start), end=int(c.end),
    )  # fmt: skip
    return CampaignState(campaign_id, spec, int(c.budget), int(c.claims), bool(c.paused))


def list_campaigns(geo: Any) -> list[CampaignState]:
    return [read_campaign(geo, i) for i in range(1, int(geo.campaignCount()) + 1)]


def submit_claim(geo: Any, signed: SignedClaim, sender: Any) -> str:
    """Sends the claim; the reward goes to the attested recipient whoever `sender` is."""
    if to_checksum_address(geo.address) != to_checksum_address(signed.contract):
        raise MiningError(
            f"the claim was signed for GeoRewards {signed.contract}, not {geo.address}"
        )
    receipt = geo.claim(
        signed.attestation.as_tuple(), signed.signer, signed.signature, sender=sender
    )
    return str(receipt.txn_hash)


def rewards_of(geo: Any, recipient: str, start_block: int = 0) -> list[Reward]:
    """Every reward paid to `recipient` by this deployment, from its Claimed events."""
    logs = geo.Claimed.range(
        start_block,
        geo.chain_manager.blocks.height + 1,
        search_topics={"recipient": to_checksum_address(recipient)},
    )
    return [
        Reward(
            campaign_id=int(log.campaignId),
            amount=int(log.amount),
            claim_id="0x" + bytes(log.claimId).hex(),
            block=int(log.block_number),
            tx_hash=str(log.transaction_hash),
        )
        for log in logs
    ]
