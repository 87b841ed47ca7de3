from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address
from sqlalchemy import Engine, func, select

from coinpos.db.models.mining import (
    ACTION_NAME_LENGTH,
    ClaimStatus,
    MiningCampaign,
    MiningClaim,
    MiningFix,
    RejectionReason,
)
from coinpos.mining.errors import (
    CampaignConflictError,
    MiningError,
    UnknownCampaignError,
    UnknownClaimError,
)
from coinpos.mining.fixes import Fix
from coinpos.mining.geo import destination_e6
from coinpos.mining.oracle import ClaimOracle
from coinpos.mining.signing import SignedClaim, SignedClaimError, typed_data
from tests.offchain.mining.conftest import (
    ALICE,
    BOB,
    BUSAN,
    CENTRE,
    CHAIN_ID,
    CONTRACT,
    Clock,
    claim_with,
    make_oracle,
    record_at,
    terms,
    walk_in,
)

ALICE_CHECKSUM = to_checksum_address(ALICE)


def _signable(attestation: Any) -> Any:
    return encode_typed_data(full_message=typed_data(attestation, CHAIN_ID, CONTRACT))


def _walk_and_claim(oracle: ClaimOracle, clock: Clock, recipient: str = ALICE) -> Any:
    *track, last = walk_in(clock)
    for fix in track:
        clock.now = fix.timestamp
        assert oracle.record_fix(recipient, fix) is None
    clock.now = last.timestamp + 2
    return oracle.check_claim(claim_with(last, recipient))


@pytest.mark.postgres
def test_check_claim__walk_into_the_place__is_approved_and_signed(
    oracle: ClaimOracle, clock: Clock, oracle_key: Any, engine: Engine
) -> None:
    decision = _walk_and_claim(oracle, clock)

    assert decision.approved
    a = decision.attestation
    assert a is not None and decision.signature is not None
    assert (a.campaign_id, a.recipient, (a.lat_e6, a.lon_e6)) == (1, ALICE_CHECKSUM, CENTRE)
    assert a.deadline == int(clock.now) + oracle.policy.attestation_ttl_s
    recovered = Account.recover_message(_signable(a), signature=decision.signature)
    assert recovered == oracle_key.address == decision.signer
    with engine.connect() as conn:
        statuses = conn.execute(select(MiningClaim.status, MiningClaim.claim_id)).all()
        fixes = conn.scalar(select(func.count()).select_from(MiningFix))
    assert statuses == [(ClaimStatus.APPROVED, "0x" + a.claim_id.hex())]
    assert fixes == 6


@pytest.mark.postgres
def test_check_claim__two_walkers__both_approved_with_distinct_claim_ids(
    oracle: ClaimOracle, clock: Clock
) -> None:
    first = _walk_and_claim(oracle, clock, ALICE)
    second = _walk_and_claim(oracle, clock, BOB)
    assert first.approved and second.approved
    assert first.attestation.claim_id != second.attestation.claim_id
    # Consecutive ids: the contract's bitmap keeps them in one storage word.
    assert first.attestation.claim_id[:-1] == second.attestation.claim_id[:-1]


@pytest.mark.postgres
def test_check_claim__teleport_from_another_city__impossible_speed(
    oracle: ClaimOracle, clock: Clock
) -> None:
    assert record_at(oracle, clock, ALICE, Fix(*BUSAN, 10.0, int(clock.now))) is None
    clock.now += 600
    decision = oracle.check_claim(claim_with(Fix(*CENTRE, 8.0, int(clock.now))))
    assert decision.reason is RejectionReason.IMPOSSIBLE_SPEED
    assert "km/h" in decision.detail
    assert decision.signature is None


def test_check_claim__teleport_fix_does_not_poison_the_real_track(
    oracle: ClaimOracle, clock: Clock
) -> None:
    """A spoofed jump is distrusted, so the next honest fix is judged against the real track."""
    *track, last = walk_in(clock)
    for fix in track[:-1]:
        clock.now = fix.timestamp
        assert oracle.record_fix(ALICE, fix) is None
    clock.now = track[-1].timestamp
    spoofed = Fix(*BUSAN, 8.0, track[-1].timestamp)
    assert oracle.record_fix(ALICE, spoofed) is RejectionReason.IMPOSSIBLE_SPEED
    clock.now = last.timestamp
    assert oracle.check_claim(claim_with(last)).approved


def test_check_claim__car_speed_since_last_fix__is_approved(
    oracle: ClaimOracle, clock: Clock
) -> None:
    lat, lon = destination_e6(*CENTRE, 90.0, 20_000)  # 20 km in 15 min: 80 km/h
    assert record_at(oracle, clock, ALICE, Fix(lat, lon, 8.0, int(clock.now))) is None
    clock.now += 900
    assert oracle.check_claim(claim_with(Fix(*CENTRE, 8.0, int(clock.now)))).approved


def test_check_claim__speed_limit_is_configurable(
    engine: Engine, oracle_key: Any, clock: Clock
) -> None:
    strict = make_oracle(engine, oracle_key, clock, max_speed_kmh=50.0)
    strict.register_campaign(terms())
    lat, lon = destination_e6(*CENTRE, 90.0, 20_000)
    assert record_at(strict, clock, ALICE, Fix(lat, lon, 8.0, int(clock.now))) is None
    clock.now += 900
    decision = strict.check_claim(claim_with(Fix(*CENTRE, 8.0, int(clock.now))))
    assert decision.reason is RejectionReason.IMPOSSIBLE_SPEED


def test_check_claim__gps_jitter_within_accuracy__is_not_speed(
    oracle: ClaimOracle, clock: Clock
) -> None:
    lat, lon = destination_e6(*CENTRE, 45.0, 30)  # 30 m in 1 s, both fixes ±20 m
    assert record_at(oracle, clock, ALICE, Fix(lat, lon, 20.0, int(clock.now))) is None
    clock.now += 1
    assert oracle.check_claim(claim_with(Fix(*CENTRE, 20.0, int(clock.now)))).approved


def test_check_claim__mock_location__rejected(oracle: ClaimOracle, clock: Clock) -> None:
    fix = Fix(*CENTRE, 5.0, int(clock.now), mock=True)
    assert oracle.check_claim(claim_with(fix)).reason is RejectionReason.MOCK_LOCATION


def test_check_claim__stale_fix__rejected(oracle: ClaimOracle, clock: Clock) -> None:
    fix = Fix(*CENTRE, 5.0, int(clock.now) - oracle.policy.max_fix_age_s - 1)
    assert oracle.check_claim(claim_with(fix)).reason is RejectionReason.FIX_TOO_OLD


def test_check_claim__fix_from_the_future__rejected(oracle: ClaimOracle, clock: Clock) -> None:
    fix = Fix(*CENTRE, 5.0, int(clock.now) + oracle.policy.max_clock_skew_s + 1)
    assert oracle.check_claim(claim_with(fix)).reason is RejectionReason.FIX_IN_FUTURE


def test_check_claim__accuracy_worse_than_campaign_limit__rejected(
    oracle: ClaimOracle, clock: Clock
) -> None:
    decision = oracle.check_claim(claim_with(Fix(*CENTRE, 25.5, int(clock.now))))
    assert decision.reason is RejectionReason.ACCURACY_TOO_COARSE
    assert oracle.check_claim(claim_with(Fix(*CENTRE, 25.0, int(clock.now)))).approved


def test_check_claim__outside_the_place__rejected(oracle: ClaimOracle, clock: Clock) -> None:
    lat, lon = destination_e6(*CENTRE, 0.0, 102)
    decision = oracle.check_claim(claim_with(Fix(lat, lon, 5.0, int(clock.now))))
    assert decision.reason is RejectionReason.OUTSIDE_PLACE
    assert "radius 100 m" in decision.detail


def test_check_claim__wrong_action__rejected(oracle: ClaimOracle, clock: Clock) -> None:
    request = claim_with(Fix(*CENTRE, 5.0, int(clock.now)), action_id=b"\x01" * 32)
    assert oracle.check_claim(request).reason is RejectionReason.ACTION_MISMATCH


def test_check_claim__outside_campaign_window__rejected(oracle: ClaimOracle, clock: Clock) -> None:
    clock.now = terms().end
    decision = oracle.check_claim(claim_with(Fix(*CENTRE, 5.0, int(clock.now))))
    assert decision.reason is RejectionReason.CAMPAIGN_NOT_ACTIVE


@pytest.mark.postgres
def test_check_claim__repeat_claim__rejected(oracle: ClaimOracle, clock: Clock) -> None:
    assert _walk_and_claim(oracle, clock).approved
    clock.now += 60
    again = oracle.check_claim(claim_with(Fix(*CENTRE, 5.0, int(clock.now))))
    assert again.reason is RejectionReason.REPEAT_CLAIM


@pytest.mark.postgres
def test_check_claim__too_many_attempts_in_an_hour__rejected_then_allowed_later(
    engine: Engine, oracle: ClaimOracle, clock: Clock
) -> None:
    far = destination_e6(*CENTRE, 180.0, 500)
    for _ in range(oracle.policy.max_attempts_per_hour):
        clock.now += 60
        reason = oracle.check_claim(claim_with(Fix(*far, 5.0, int(clock.now)))).reason
        assert reason is RejectionReason.OUTSIDE_PLACE
    clock.now += 60
    at_centre = oracle.check_claim(claim_with(Fix(*CENTRE, 5.0, int(clock.now))))
    assert at_centre.reason is RejectionReason.TOO_MANY_ATTEMPTS
    clock.now += 3600
    assert oracle.check_claim(claim_with(Fix(*CENTRE, 5.0, int(clock.now)))).approved


def test_check_claim__unknown_campaign__raises(oracle: ClaimOracle, clock: Clock) -> None:
    with pytest.raises(UnknownCampaignError, match="campaign 9 is not registered"):
        oracle.check_claim(claim_with(Fix(*CENTRE, 5.0, int(clock.now)), campaign_id=9))


def test_check_claim__campaign_of_another_contract__is_unknown(
    engine: Engine, oracle: ClaimOracle, oracle_key: Any, clock: Clock
) -> None:
    other = ClaimOracle(
        engine, chain_id=CHAIN_ID, contract="0x" + "ef" * 20, signer=oracle.signer, clock=clock
    )
    with pytest.raises(UnknownCampaignError):
        other.check_claim(claim_with(Fix(*CENTRE, 5.0, int(clock.now))))


def test_register_campaign__same_terms_twice_is_a_no_op_other_terms_conflict(
    oracle: ClaimOracle,
) -> None:
    oracle.register_campaign(terms())
    assert oracle.campaigns() == [terms()]
    with pytest.raises(CampaignConflictError):
        oracle.register_campaign(dataclasses.replace(terms(), radius_m=101))


def _action_name(engine: Engine, campaign_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.scalar(
            select(MiningCampaign.action_name).where(MiningCampaign.campaign_id == campaign_id)
        )


def test_register_campaign__with_the_name_its_action_id_hashes__keeps_it(
    oracle: ClaimOracle, engine: Engine
) -> None:
    oracle.register_campaign(terms(2), "scan-the-poster")
    assert _action_name(engine, 2) == "scan-the-poster"
    assert oracle.campaigns()[1] == terms(2)  # the name is not one of the on-chain terms
    assert _action_name(engine, 1) is None  # the fixture's campaign was given none


def test_register_campaign__a_name_that_does_not_hash_to_the_action__refused_nothing_written(
    oracle: ClaimOracle, engine: Engine
) -> None:
    with pytest.raises(MiningError, match="'visit' does not hash to the campaign's action id"):
        oracle.register_campaign(terms(2), "visit")
    assert [t.campaign_id for t in oracle.campaigns()] == [1]
    with pytest.raises(MiningError, match="does not hash") as refused:
        oracle.register_campaign(terms(), "Scan-the-poster")  # the hash is case-sensitive
    assert not isinstance(refused.value, CampaignConflictError)
    assert _action_name(engine, 1) is None


def test_register_campaign__again_with_a_name_adds_it__again_without_keeps_it(
    oracle: ClaimOracle, engine: Engine
) -> None:
    oracle.register_campaign(terms(), "scan-the-poster")
    assert _action_name(engine, 1) == "scan-the-poster"
    oracle.register_campaign(terms())
    assert _action_name(engine, 1) == "scan-the-poster"
    assert oracle.campaigns() == [terms()]


def test_register_campaign__another_name_for_a_named_campaign__refused_name_kept(
    oracle: ClaimOracle, engine: Engine
) -> None:
    oracle.register_campaign(terms(), "scan-the-poster")
    # A name hashing to another action id is another campaign: a conflict, as other terms are.
    with pytest.raises(CampaignConflictError, match="campaign 1 is already registered"):
        oracle.register_campaign(terms(action_id=keccak(text="visit")), "visit")
    with pytest.raises(MiningError, match="does not hash"):
        oracle.register_campaign(terms(), "visit")
    assert _action_name(engine, 1) == "scan-the-poster"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "1 to 64 characters, not 0"),
        ("x" * (ACTION_NAME_LENGTH + 1), "1 to 64 characters, not 65"),
        ("scan\nthe poster", "not a line of printable text"),
    ],
)
def test_register_campaign__a_name_it_cannot_keep__refused_even_when_it_hashes(
    oracle: ClaimOracle, name: str, message: str
) -> None:
    with pytest.raises(MiningError, match=message):
        oracle.register_campaign(terms(2, action_id=keccak(text=name)), name)
    assert [t.campaign_id for t in oracle.campaigns()] == [1]


@pytest.mark.postgres
def test_register_campaign__the_longest_name__round_trips(
    oracle: ClaimOracle, engine: Engine
) -> None:
    longest = "방" * ACTION_NAME_LENGTH  # characters, not bytes: 192 bytes of UTF-8
    oracle.register_campaign(terms(2, action_id=keccak(text=longest)), longest)
    assert _action_name(engine, 2) == longest


def test_register_campaign__reward_above_int64__round_trips(oracle: ClaimOracle) -> None:
    big = terms(campaign_id=2, reward_per_claim=2**96 - 1)
    oracle.register_campaign(big)
    assert oracle.campaigns()[1].reward_per_claim == 2**96 - 1


def test_mark_submitted__records_tx_and_shows_in_claims_of(
    oracle: ClaimOracle, clock: Clock
) -> None:
    decision = _walk_and_claim(oracle, clock)
    oracle.mark_submitted(decision.attestation.claim_id, "0x" + "12" * 32)
    [record] = oracle.claims_of(ALICE)
    assert (record.status, record.tx_hash, record.reward) == (
        ClaimStatus.SUBMITTED, "0x" + "12" * 32, 500,
    )  # fmt: skip
    with pytest.raises(UnknownClaimError):
        oracle.mark_submitted(b"\x00" * 32, "0x")


def test_claims_of__lists_rejections_with_reason(oracle: ClaimOracle, clock: Clock) -> None:
    oracle.check_claim(claim_with(Fix(*CENTRE, 5.0, int(clock.now), mock=True), BOB))
    [record] = oracle.claims_of(BOB)
    assert (record.status, record.rejection) == (
        ClaimStatus.REJECTED, RejectionReason.MOCK_LOCATION,
    )  # fmt: skip
    assert oracle.claims_of(ALICE) == []


def test_prune_fixes__drops_old_unreferenced_fixes_only(
    engine: Engine, oracle: ClaimOracle, clock: Clock
) -> None:
    _walk_and_claim(oracle, clock)
    clock.now += oracle.policy.fix_retention_s + 1
    assert oracle.prune_fixes() == 5
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(MiningFix)) == 1


def test_signed_claim__round_trips_through_json(oracle: ClaimOracle, clock: Clock) -> None:
    decision = _walk_and_claim(oracle, clock)
    signed = oracle.signed_claim(decision)
    raw = json.loads(json.dumps(signed.to_json()))
    assert raw["signature"] == "0x" + decision.signature.hex()
    assert SignedClaim.from_json(raw) == signed
    rejected = oracle.check_claim(claim_with(Fix(*CENTRE, 5.0, int(clock.now), mock=True), BOB))
    with pytest.raises(ValueError):
        oracle.signed_claim(rejected)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda raw: raw.pop("signature"),
        lambda raw: raw["attestation"].update(claim_id="0x1234"),
        lambda raw: raw["attestation"].update(deadline=-1),
        lambda raw: raw["attestation"].update(lat_e6="37.5"),
        lambda raw: raw.update(contract="0xnot-an-address"),
    ],
)
def test_signed_claim__malformed_json__raises(
    oracle: ClaimOracle, clock: Clock, mutate: Any
) -> None:
    raw = oracle.signed_claim(_walk_and_claim(oracle, clock)).to_json()
    mutate(raw)
    with pytest.raises(SignedClaimError):
        SignedClaim.from_json(raw)
