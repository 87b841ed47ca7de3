from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from coinpos.mining.geo import distance_metres
from coinpos.mining.signing import typed_data
from tests.contracts.geo.conftest import CENTRE, RADIUS, REWARD, Mode, Signed
from tests.contracts.signing import (
    domain_separator,
    ecdsa,
    typed_data_hash,
    typed_data_sign_digest,
    typed_data_sign_signature,
)


@pytest.fixture
def campaign(create_campaign: Callable[..., int]) -> int:
    return create_campaign()


def _edge_north(radius: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The last point due north still at `radius` metres, and the first one beyond it."""
    d_lat = 0
    while distance_metres(*CENTRE, CENTRE[0] + d_lat + 1, CENTRE[1]) <= radius:
        d_lat += 1
    return (CENTRE[0] + d_lat, CENTRE[1]), (CENTRE[0] + d_lat + 1, CENTRE[1])


def test_claim__signed_by_eth_account_typed_data__pays_recipient_and_emits(
    chain: Any, geo: Any, emoney: Any, oracle: Any, customer: Any, campaign: int, relayer: Any,
    attest: Callable[..., Signed],
) -> None:  # fmt: skip
    signed = attest(campaign, customer)
    # The Python typed data and the contract agree on the digest, byte for byte.
    full = typed_data(signed.attestation, chain.chain_id, geo.address)
    direct = Account.sign_typed_data(oracle.private_key, full_message=full)
    assert bytes(direct.signature) == signed.signature
    assert geo.attestationDigest(signed.attestation.as_tuple()) == direct.message_hash

    tx = geo.claim(*signed.args(), sender=relayer)

    assert emoney.balanceOf(customer) == REWARD
    assert emoney.balanceOf(relayer) == 0
    assert geo.hasClaimed(campaign, customer)
    assert geo.isClaimIdUsed(signed.attestation.claim_id)
    c = geo.campaign(campaign)
    assert (c.budget, c.claims) == (99 * REWARD, 1)
    [event] = tx.events.filter(geo.Claimed)
    assert event.campaignId == campaign
    assert event.recipient == customer.address
    assert event.claimId == signed.attestation.claim_id
    assert event.amount == REWARD
    assert event.submitter == relayer.address


def test_claim__recipient_submits_own_claim__is_paid(
    geo: Any, emoney: Any, customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    geo.claim(*attest(campaign, customer).args(), sender=customer)
    assert emoney.balanceOf(customer) == REWARD


def test_claim__relayer_redirects_reward_to_itself__reverts(
    geo: Any, emoney: Any, customer: Any, relayer: Any, campaign: int,
    attest: Callable[..., Signed],
) -> None:  # fmt: skip
    signed = attest(campaign, customer)
    forged = (signed.attestation.as_tuple()[0], relayer.address, *signed.attestation.as_tuple()[2:])
    with ape.reverts(geo.GeoRewardsInvalidSignature, signer=signed.signer):
        geo.claim(forged, signed.signer, signed.signature, sender=relayer)
    assert emoney.balanceOf(relayer) == 0
    assert not geo.hasClaimed(campaign, relayer)


def test_claim__same_attestation_twice__reverts(
    geo: Any, customer: Any, relayer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    signed = attest(campaign, customer)
    geo.claim(*signed.args(), sender=relayer)
    with ape.reverts(geo.GeoRewardsAlreadyClaimed, campaignId=campaign, recipient=customer):
        geo.claim(*signed.args(), sender=customer)


def test_claim__second_attestation_same_recipient__reverts(
    geo: Any, customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    geo.claim(*attest(campaign, customer).args(), sender=customer)
    with ape.reverts(geo.GeoRewardsAlreadyClaimed, campaignId=campaign, recipient=customer):
        geo.claim(*attest(campaign, customer).args(), sender=customer)


def test_claim__reused_claim_id__reverts(
    geo: Any, customer: Any, other_customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    geo.claim(*attest(campaign, customer, claim_id=777).args(), sender=customer)
    reused = attest(campaign, other_customer, claim_id=777)
    with ape.reverts(geo.GeoRewardsClaimIdUsed, claimId=(777).to_bytes(32, "big")):
        geo.claim(*reused.args(), sender=other_customer)


def test_claim__claim_ids_sharing_a_bitmap_word__are_independent(
    geo: Any, customer: Any, other_customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    geo.claim(*attest(campaign, customer, claim_id=512).args(), sender=customer)
    assert geo.isClaimIdUsed((512).to_bytes(32, "big"))
    assert not geo.isClaimIdUsed((513).to_bytes(32, "big"))
    assert not geo.isClaimIdUsed((512 + 256).to_bytes(32, "big"))
    geo.claim(*attest(campaign, other_customer, claim_id=513).args(), sender=other_customer)
    assert geo.isClaimIdUsed((513).to_bytes(32, "big"))


def test_claim__signed_for_another_chain_id__reverts(
    chain: Any, geo: Any, customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    signed = attest(campaign, customer, chain_id=chain.chain_id + 1)
    with ape.reverts(geo.GeoRewardsInvalidSignature, signer=signed.signer):
        geo.claim(*signed.args(), sender=customer)


def test_claim__signed_for_another_deployment__reverts(
    deploy_geo: Callable[[], Any], create_campaign: Callable[..., int], geo: Any, customer: Any,
    attest: Callable[..., Signed],
) -> None:  # fmt: skip
    other = deploy_geo()
    assert create_campaign(on=other) == create_campaign() == 1
    signed_for_other = attest(1, customer, contract=other)
    other.claim(*signed_for_other.args(), sender=customer)
    with ape.reverts(geo.GeoRewardsInvalidSignature, signer=signed_for_other.signer):
        geo.claim(*signed_for_other.args(), sender=customer)


def test_claim__expired_deadline__reverts(
    chain: Any, geo: Any, customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    deadline = chain.pending_timestamp + 30
    signed = attest(campaign, customer, deadline=deadline)
    chain.pending_timestamp = deadline + 1
    with ape.reverts(geo.GeoRewardsAttestationExpired, deadline=deadline):
        geo.claim(*signed.args(), sender=customer)


def test_claim__at_deadline__is_accepted(
    chain: Any, geo: Any, emoney: Any, customer: Any, campaign: int,
    attest: Callable[..., Signed],
) -> None:  # fmt: skip
    deadline = chain.pending_timestamp + 30
    signed = attest(campaign, customer, deadline=deadline)
    chain.pending_timestamp = deadline
    geo.claim(*signed.args(), sender=customer)
    assert emoney.balanceOf(customer) == REWARD


def test_claim__signer_without_oracle_role__reverts(
    geo: Any, customer: Any, stranger: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    signed = attest(campaign, customer, key=stranger)
    with ape.reverts(geo.GeoRewardsUnauthorizedOracle, signer=stranger):
        geo.claim(*signed.args(), sender=customer)


def test_claim__oracle_named_but_other_key_signed__reverts(
    geo: Any, oracle: Any, customer: Any, stranger: Any, campaign: int,
    attest: Callable[..., Signed],
) -> None:  # fmt: skip
    signed = attest(campaign, customer, key=stranger, signer_address=oracle.address)
    with ape.reverts(geo.GeoRewardsInvalidSignature, signer=oracle):
        geo.claim(*signed.args(), sender=customer)


def test_claim__malformed_signature__reverts(
    geo: Any, oracle: Any, customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    signed = attest(campaign, customer)
    with ape.reverts(geo.GeoRewardsInvalidSignature, signer=oracle):
        geo.claim(signed.attestation.as_tuple(), oracle, signed.signature[:64], sender=customer)


def test_claim__revoked_oracle__reverts(
    geo: Any, admin: Any, oracle: Any, customer: Any, campaign: int,
    attest: Callable[..., Signed],
) -> None:  # fmt: skip
    signed = attest(campaign, customer)
    geo.revokeRole(geo.ORACLE_ROLE(), oracle, sender=admin)
    with ape.reverts(geo.GeoRewardsUnauthorizedOracle, signer=oracle):
        geo.claim(*signed.args(), sender=customer)


def test_claim__erc1271_oracle_contract__is_accepted(
    project: Any, geo: Any, emoney: Any, admin: Any, customer: Any, stranger: Any,
    campaign: int, attest: Callable[..., Signed],
) -> None:  # fmt: skip
    wallet = admin.deploy(project.ERC1271OracleWallet, stranger)
    geo.grantRole(geo.ORACLE_ROLE(), wallet, sender=admin)
    signed = attest(campaign, customer, key=stranger, signer_address=wallet.address)
    geo.claim(*signed.args(), sender=customer)
    assert emoney.balanceOf(customer) == REWARD


def test_claim__erc1271_oracle_rejects_signature__reverts(
    project: Any, geo: Any, admin: Any, customer: Any, stranger: Any, oracle: Any,
    campaign: int, attest: Callable[..., Signed],
) -> None:  # fmt: skip
    wallet = admin.deploy(project.ERC1271OracleWallet, stranger)
    geo.grantRole(geo.ORACLE_ROLE(), wallet, sender=admin)
    signed = attest(campaign, customer, key=oracle, signer_address=wallet.address)
    with ape.reverts(geo.GeoRewardsInvalidSignature, signer=wallet):
        geo.claim(*signed.args(), sender=customer)


ATTESTATION_TYPE = (
    "ClaimAttestation(uint256 campaignId,address recipient,int32 latE6,int32 lonE6,"
    "bytes32 actionId,bytes32 claimId,uint256 deadline)"
)


def _attestation_struct_hash(geo: Any, signed: Signed) -> bytes:
    return keccak(
        encode(
            ["bytes32", "uint256", "address", "int32", "int32", "bytes32", "bytes32", "uint256"],
            [geo.CLAIM_ATTESTATION_TYPEHASH(), *signed.attestation.as_tuple()],
        )
    )


def test_claim__coinpos_wallet_oracle_with_erc7739_typed_data_sign__is_accepted(
    chain: Any, project: Any, geo: Any, emoney: Any, admin: Any, customer: Any,
    stranger: Any, campaign: int, attest: Callable[..., Signed],
) -> None:  # fmt: skip
    """A MultiCoinWallet as the oracle: its owner signs the attestation nested in the wallet's
    own domain (ERC-7739 TypedDataSign); a raw signature of the digest is no longer enough."""
    factory = admin.deploy(project.WalletFactory)
    factory.createWallet(stranger, bytes(32), [], sender=admin)
    wallet = project.MultiCoinWallet.at(factory.predictAddress(stranger, bytes(32), []))
    geo.grantRole(geo.ORACLE_ROLE(), wallet, sender=admin)
    raw = attest(campaign, customer, key=stranger, signer_address=wallet.address)
    digest = geo.attestationDigest(raw.attestation.as_tuple())
    separator = domain_separator(geo, chain.chain_id)
    contents = _attestation_struct_hash(geo, raw)
    assert typed_data_hash(separator, contents) == digest

    with ape.reverts(geo.GeoRewardsInvalidSignature, signer=wallet, digest=digest):
        geo.claim(*raw.args(), sender=customer)

    nested = typed_data_sign_digest(wallet, chain.chain_id, separator, contents, ATTESTATION_TYPE)
    signature = typed_data_sign_signature(
        ecdsa(stranger.private_key, nested), separator, contents, ATTESTATION_TYPE
    )
    geo.claim(raw.attestation.as_tuple(), wallet.address, signature, sender=customer)
    assert emoney.balanceOf(customer) == REWARD


def test_claim__unknown_campaign__reverts(
    geo: Any, customer: Any, attest: Callable[..., Signed]
) -> None:
    with ape.reverts(geo.GeoRewardsUnknownCampaign, campaignId=42):
        geo.claim(*attest(42, customer).args(), sender=customer)


def test_claim__paused_campaign__reverts_until_resumed(
    geo: Any, emoney: Any, manager: Any, customer: Any, campaign: int,
    attest: Callable[..., Signed],
) -> None:  # fmt: skip
    signed = attest(campaign, customer)
    geo.setCampaignPaused(campaign, True, sender=manager)
    with ape.reverts(geo.GeoRewardsCampaignPaused, campaignId=campaign):
        geo.claim(*signed.args(), sender=customer)
    geo.setCampaignPaused(campaign, False, sender=manager)
    geo.claim(*signed.args(), sender=customer)
    assert emoney.balanceOf(customer) == REWARD


def test_claim__globally_paused__reverts(
    geo: Any, admin: Any, customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    signed = attest(campaign, customer)
    geo.pause(sender=admin)
    with ape.reverts(geo.EnforcedPause):
        geo.claim(*signed.args(), sender=customer)
    geo.unpause(sender=admin)
    geo.claim(*signed.args(), sender=customer)
    assert geo.hasClaimed(campaign, customer)


def test_claim__before_start__reverts(
    chain: Any, create_campaign: Callable[..., int], geo: Any, customer: Any,
    attest: Callable[..., Signed],
) -> None:  # fmt: skip
    start = chain.pending_timestamp + 600
    campaign = create_campaign(start=start)
    with ape.reverts(geo.GeoRewardsCampaignNotStarted, campaignId=campaign, start=start):
        geo.claim(*attest(campaign, customer).args(), sender=customer)


def test_claim__at_end__reverts(
    chain: Any, geo: Any, customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    end = geo.campaign(campaign).end
    signed = attest(campaign, customer, deadline=end + 100)
    chain.pending_timestamp = end
    with ape.reverts(geo.GeoRewardsCampaignEnded, campaignId=campaign, end=end):
        geo.claim(*signed.args(), sender=customer)


def test_claim__other_action__reverts(
    geo: Any, customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    other = keccak(text="buy-a-coffee")
    with ape.reverts(geo.GeoRewardsActionMismatch, campaignId=campaign, attested=other):
        geo.claim(*attest(campaign, customer, action=other).args(), sender=customer)


def test_claim__first_come_cap__refuses_the_second_claimant(
    create_campaign: Callable[..., int], geo: Any, emoney: Any, customer: Any,
    other_customer: Any, attest: Callable[..., Signed],
) -> None:  # fmt: skip
    campaign = create_campaign(mode=Mode.FIRST_COME, maxClaims=1)
    geo.claim(*attest(campaign, customer).args(), sender=customer)
    with ape.reverts(geo.GeoRewardsCapReached, campaignId=campaign, maxClaims=1):
        geo.claim(*attest(campaign, other_customer).args(), sender=other_customer)
    assert emoney.balanceOf(other_customer) == 0
    assert geo.campaign(campaign).budget == 99 * REWARD


def test_claim__budget_runs_out_mid_claims__reverts_then_top_up_resumes(
    accounts: Any, create_campaign: Callable[..., int], geo: Any, emoney: Any,
    funded_manager: Any, attest: Callable[..., Signed],
) -> None:  # fmt: skip
    campaign = create_campaign(budget=2 * REWARD + 1)
    users = [accounts[i] for i in (5, 6, 10)]
    geo.claim(*attest(campaign, users[0]).args(), sender=users[0])
    geo.claim(*attest(campaign, users[1]).args(), sender=users[1])
    third = attest(campaign, users[2])
    with ape.reverts(
        geo.GeoRewardsBudgetExhausted, campaignId=campaign, budget=1, rewardPerClaim=REWARD
    ):
        geo.claim(*third.args(), sender=users[2])
    emoney.approve(geo, REWARD, sender=funded_manager)
    geo.topUp(campaign, REWARD, sender=funded_manager)
    geo.claim(*third.args(), sender=users[2])
    assert [emoney.balanceOf(u) for u in users] == [REWARD] * 3
    assert geo.campaign(campaign).budget == 1


def test_claim__exactly_on_the_radius__is_accepted(
    geo: Any, emoney: Any, customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    on_edge, _ = _edge_north(RADIUS)
    assert geo.distanceMetres(*CENTRE, *on_edge) == RADIUS
    geo.claim(*attest(campaign, customer, on_edge).args(), sender=customer)
    assert emoney.balanceOf(customer) == REWARD


def test_claim__just_outside_the_radius__reverts(
    geo: Any, customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    _, beyond = _edge_north(RADIUS)
    assert geo.distanceMetres(*CENTRE, *beyond) == RADIUS + 1
    with ape.reverts(
        geo.GeoRewardsOutsideRadius, campaignId=campaign, distanceMetres=RADIUS + 1,
        radiusMetres=RADIUS,
    ):  # fmt: skip
        geo.claim(*attest(campaign, customer, beyond).args(), sender=customer)


def test_claim__attested_point_off_the_globe__reverts(
    geo: Any, customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    with ape.reverts(geo.GeoDistanceInvalidLatitude, latE6=91_000_000):
        geo.claim(*attest(campaign, customer, (91_000_000, 0)).args(), sender=customer)
    with ape.reverts(geo.GeoDistanceInvalidLongitude, lonE6=-181_000_000):
        geo.claim(*attest(campaign, customer, (0, -181_000_000)).args(), sender=customer)


def test_claim__failed_claims_leave_no_trace(
    geo: Any, emoney: Any, customer: Any, campaign: int, attest: Callable[..., Signed]
) -> None:
    _, beyond = _edge_north(RADIUS)
    signed = attest(campaign, customer, beyond, claim_id=99)
    with ape.reverts(geo.GeoRewardsOutsideRadius):
        geo.claim(*signed.args(), sender=customer)
    assert not geo.hasClaimed(campaign, customer)
    assert not geo.isClaimIdUsed((99).to_bytes(32, "big"))
    assert (geo.campaign(campaign).claims, emoney.balanceOf(customer)) == (0, 0)
