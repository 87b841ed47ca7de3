"""The claim oracle: decides whether a user was really at the place, and signs if so.

`ClaimOracle` is the service layer: each public method is one unit of work (one session,
committed or rolled back in one place). A signature is only handed out after the approved
claim that carries it is committed.
"""

from __future__ import annotations

import dataclasses
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

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
from coinpos.mining.fixes import ClaimRequest, Fix
from coinpos.mining.geo import distance_metres, haversine_metres
from coinpos.mining.signing import (
    AttestationSigner,
    ClaimAttestation,
    SignedClaim,
    SignerError,
    sign_attestation,
)

HOUR = 3600


@dataclass(frozen=True)
class OraclePolicy:
    """The oracle's limits. Accuracy is per campaign (`CampaignTerms.max_accuracy_m`)."""

    max_speed_kmh: float = 300.0
    max_fix_age_s: int = 120
    max_clock_skew_s: int = 30
    max_attempts_per_hour: int = 5
    attestation_ttl_s: int = 600
    fix_retention_s: int = 86_400


@dataclass(frozen=True)
class CampaignTerms:
    """A campaign as the oracle needs it: the on-chain terms plus the accuracy limit."""

    campaign_id: int
    lat_e6: int
    lon_e6: int
    radius_m: int
    action_id: bytes
    token: str
    reward_per_claim: int
    first_come: bool
    max_claims: int
    start: int
    end: int
    max_accuracy_m: float


@dataclass(frozen=True)
class Decision:
    """The outcome of a claim check; an approval carries the signed attestation."""

    reason: RejectionReason | None
    detail: str
    attestation: ClaimAttestation | None = None
    signer: str | None = None
    signature: bytes | None = None

    @property
    def approved(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class ClaimRecord:
    campaign_id: int
    recipient: str
    status: ClaimStatus
    rejection: RejectionReason | None
    detail: str
    created_at: int
    claim_id: str | None
    reward: int
    tx_hash: str | None


class ClaimOracle:
    """Checks claims against the user's recent fixes and the campaign, then signs approvals."""

    def __init__(
        self,
        engine: Engine,
        *,
        chain_id: int,
        contract: str,
        signer: AttestationSigner | None = None,
        policy: OraclePolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.chain_id = chain_id
        self.contract = to_checksum_address(contract)
        self.signer = signer
        self.policy = policy or OraclePolicy()
        self._clock = clock

    # --- campaigns -----------------------------------------------------------------------

    def register_campaign(self, terms: CampaignTerms, action_name: str | None = None) -> None:
        """Records a campaign created on chain, with its action's name when one is given.

        The chain keeps only the action id, so a name is kept only if its keccak256 is
        `terms.action_id`; any other name, or one `check_action_name` refuses, raises
        MiningError and nothing is written. Registering the same terms again is a
        no-op, except that it adds a name to a campaign registered without one; leaving the
        name out never removes one. Other terms raise CampaignConflictError. Since a name
        must hash to the action id, a different name for a named campaign is either refused
        as not matching or comes with a different action id, which conflicts.
        """
        terms = dataclasses.replace(terms, token=to_checksum_address(terms.token))
        if action_name is not None:
            _check_names(action_name, terms.action_id)
        with self._sessions.begin() as session:
            existing = self._find_campaign(session, terms.campaign_id)
            if existing is not None:
                if _terms_of(existing) != terms:
                    raise CampaignConflictError(
                        f"campaign {terms.campaign_id} is already registered with other terms"
                    )
                if action_name is not None:
                    existing.action_name = action_name
                return
            session.add(
                MiningCampaign(
                    chain_id=self.chain_id,
                    contract=self.contract,
                    campaign_id=terms.campaign_id,
                    lat_e6=terms.lat_e6,
                    lon_e6=terms.lon_e6,
                    radius_m=terms.radius_m,
                    action_id="0x" + terms.action_id.hex(),
                    action_name=action_name,
                    token=terms.token,
                    reward_per_claim=terms.reward_per_claim,
                    first_come=terms.first_come,
                    max_claims=terms.max_claims,
                    start_time=terms.start,
                    end_time=terms.end,
                    max_accuracy_m=terms.max_accuracy_m,
                    claim_id_prefix=secrets.token_hex(24),
                )
            )

    def campaigns(self) -> list[CampaignTerms]:
        with self._sessions() as session:
            rows = session.scalars(
                select(MiningCampaign)
                .where(MiningCampaign.chain_id == self.chain_id)
                .where(MiningCampaign.contract == self.contract)
                .order_by(MiningCampaign.campaign_id)
            )
            return [_terms_of(row) for row in rows]

    # --- fixes ---------------------------------------------------------------------------

    def record_fix(self, account: str, fix: Fix) -> RejectionReason | None:
        """Stores a track fix; returns why it is distrusted, or None if it is plausible."""
        account = to_checksum_address(account)
        with self._sessions.begin() as session:
            problem = self._fix_problem(session, account, fix, None, int(self._clock()))
            self._store_fix(session, account, fix, problem)
            return problem[0] if problem else None

    def prune_fixes(self) -> int:
        """Deletes fixes past the retention window that no claim refers to; returns how many."""
        cutoff = int(self._clock()) - self.policy.fix_retention_s
        with self._sessions.begin() as session:
            referenced = select(MiningClaim.fix_pk)
            old = session.scalars(
                select(MiningFix)
                .where(MiningFix.received_at < cutoff)
                .where(MiningFix.id.not_in(referenced))
            ).all()
            for fix in old:
                session.delete(fix)
            return len(old)

    # --- claims --------------------------------------------------------------------------

    def check_claim(self, request: ClaimRequest) -> Decision:
        """Rejects with a reason, or approves and signs. Every attempt is recorded."""
        try:
            return self._check_claim(request)
        except IntegrityError:
            # Another worker approved this recipient for this campaign in the meantime.
            return self._check_claim(request)

    def signed_claim(self, decision: Decision) -> SignedClaim:
        """An approved decision as the signed claim the user or a relayer submits."""
        if decision.attestation is None or decision.signature is None or decision.signer is None:
            raise ValueError(f"only an approved decision has a signed claim ({decision.reason})")
        return SignedClaim(
            self.chain_id, self.contract, decision.attestation, decision.signer, decision.signature
        )

    def mark_submitted(self, claim_id: bytes, tx_hash: str) -> None:
        with self._sessions.begin() as session:
            claim = session.scalars(
                select(MiningClaim).where(MiningClaim.claim_id == "0x" + claim_id.hex())
            ).one_or_none()
            if claim is None:
                raise UnknownClaimError(f"no approved claim with id 0x{claim_id.hex()}")
            claim.status = ClaimStatus.SUBMITTED
            claim.tx_hash = tx_hash

    def claims_of(self, recipient: str) -> list[ClaimRecord]:
        recipient = to_checksum_address(recipient)
        with self._sessions() as session:
            rows = session.execute(
                select(MiningClaim, MiningCampaign)
                .join(MiningCampaign, MiningClaim.campaign_pk == MiningCampaign.id)
                .where(MiningClaim.recipient == recipient)
                .where(MiningCampaign.chain_id == self.chain_id)
                .where(MiningCampaign.contract == self.contract)
                .order_by(MiningClaim.id)
            ).all()
            return [
                ClaimRecord(
                    campaign_id=campaign.campaign_id,
                    recipient=claim.recipient,
                    status=claim.status,
                    rejection=claim.rejection,
                    detail=claim.detail,
                    created_at=claim.created_at,
                    claim_id=claim.claim_id,
                    reward=campaign.reward_per_claim,
                    tx_hash=claim.tx_hash,
                )
                for claim, campaign in rows
            ]

    # --- internals -----------------------------------------------------------------------

    def _check_claim(self, request: ClaimRequest) -> Decision:
        if self.signer is None:
            raise SignerError("this oracle has no key: it records and reads, but cannot sign")
        signer = self.signer
        now = int(self._clock())
        recipient = to_checksum_address(request.recipient)
        with self._sessions.begin() as session:
            campaign = self._find_campaign(session, request.campaign_id)
            if campaign is None:
                raise UnknownCampaignError(
                    f"campaign {request.campaign_id} is not registered with this oracle "
                    f"(chain {self.chain_id}, contract {self.contract})"
                )
            fix_problem = self._fix_problem(
                session, recipient, request.fix, campaign.max_accuracy_m, now
            )
            fix_row = self._store_fix(session, recipient, request.fix, fix_problem)
            rejection = (
                self._attempt_problem(session, campaign, recipient, now)
                or fix_problem
                or self._place_problem(campaign, request, now)
            )
            claim = MiningClaim(
                campaign_pk=campaign.id,
                recipient=recipient,
                fix_pk=fix_row.id,
                created_at=now,
                status=ClaimStatus.REJECTED if rejection else ClaimStatus.APPROVED,
                rejection=rejection[0] if rejection else None,
                detail=rejection[1][:200] if rejection else "",
            )
            session.add(claim)
            session.flush()
            if rejection:
                return Decision(rejection[0], rejection[1])

            attestation = ClaimAttestation(
                campaign_id=campaign.campaign_id,
                recipient=recipient,
                lat_e6=request.fix.lat_e6,
                lon_e6=request.fix.lon_e6,
                action_id=request.action_id,
                claim_id=bytes.fromhex(campaign.claim_id_prefix) + claim.id.to_bytes(8, "big"),
                deadline=now + self.policy.attestation_ttl_s,
            )
            signature = sign_attestation(signer, attestation, self.chain_id, self.contract)
            claim.claim_id = "0x" + attestation.claim_id.hex()
            claim.deadline = attestation.deadline
            claim.signer = signer.address
            claim.signature = "0x" + signature.hex()
        return Decision(None, "approved", attestation, signer.address, signature)

    def _find_campaign(self, session: Session, campaign_id: int) -> MiningCampaign | None:
        return session.scalars(
            select(MiningCampaign)
            .where(MiningCampaign.chain_id == self.chain_id)
            .where(MiningCampaign.contract == self.contract)
            .where(MiningCampaign.campaign_id == campaign_id)
        ).one_or_none()

    def _attempt_problem(
        self, session: Session, campaign: MiningCampaign, recipient: str, now: int
    ) -> tuple[RejectionReason, str] | None:
        attempts = session.scalar(
            select(func.count())
            .select_from(MiningClaim)
            .where(MiningClaim.recipient == recipient)
            .where(MiningClaim.created_at > now - HOUR)
        )
        limit = self.policy.max_attempts_per_hour
        if attempts is not None and attempts >= limit:
            return RejectionReason.TOO_MANY_ATTEMPTS, f"{attempts} attempts in the last hour"
        granted = session.scalar(
            select(func.count())
            .select_from(MiningClaim)
            .where(MiningClaim.campaign_pk == campaign.id)
            .where(MiningClaim.recipient == recipient)
            .where(MiningClaim.status != ClaimStatus.REJECTED)
        )
        if granted:
            detail = f"already approved for campaign {campaign.campaign_id}"
            return RejectionReason.REPEAT_CLAIM, detail
        return None

    def _fix_problem(
        self, session: Session, account: str, fix: Fix, max_accuracy_m: float | None, now: int
    ) -> tuple[RejectionReason, str] | None:
        policy = self.policy
        if fix.mock:
            return RejectionReason.MOCK_LOCATION, "the device flagged the fix as a mock location"
        if fix.timestamp < now - policy.max_fix_age_s:
            return RejectionReason.FIX_TOO_OLD, f"fix is {now - fix.timestamp} s old"
        if fix.timestamp > now + policy.max_clock_skew_s:
            return RejectionReason.FIX_IN_FUTURE, f"fix is {fix.timestamp - now} s in the future"
        if max_accuracy_m is not None and fix.accuracy_m > max_accuracy_m:
            return (
                RejectionReason.ACCURACY_TOO_COARSE,
                f"accuracy {fix.accuracy_m:g} m is worse than the limit {max_accuracy_m:g} m",
            )
        previous = session.scalars(
            select(MiningFix)
            .where(MiningFix.account == account)
            .where(MiningFix.trusted.is_(True))
            .where(MiningFix.fix_time <= fix.timestamp)
            .order_by(MiningFix.fix_time.desc(), MiningFix.id.desc())
            .limit(1)
        ).one_or_none()
        if previous is None:
            return None
        metres = haversine_metres(previous.lat_e6, previous.lon_e6, fix.lat_e6, fix.lon_e6)
        # Either fix may be off by its accuracy radius: only movement beyond both counts.
        moved = max(0.0, metres - previous.accuracy_m - fix.accuracy_m)
        seconds = fix.timestamp - previous.fix_time
        kmh = math.inf if seconds == 0 else moved / seconds * 3.6
        if moved > 0 and kmh > policy.max_speed_kmh:
            return (
                RejectionReason.IMPOSSIBLE_SPEED,
                f"{metres / 1000:.1f} km in {seconds} s ({kmh:.0f} km/h, "
                f"limit {policy.max_speed_kmh:g} km/h)",
            )
        return None

    def _place_problem(
        self, campaign: MiningCampaign, request: ClaimRequest, now: int
    ) -> tuple[RejectionReason, str] | None:
        if not campaign.start_time <= now < campaign.end_time:
            return (
                RejectionReason.CAMPAIGN_NOT_ACTIVE,
                f"campaign runs from {campaign.start_time} to {campaign.end_time}; it is {now}",
            )
        if "0x" + request.action_id.hex() != campaign.action_id:
            return RejectionReason.ACTION_MISMATCH, f"campaign action is {campaign.action_id}"
        metres = distance_metres(
            campaign.lat_e6, campaign.lon_e6, request.fix.lat_e6, request.fix.lon_e6
        )
        if metres > campaign.radius_m:
            return (
                RejectionReason.OUTSIDE_PLACE,
                f"{metres} m from the centre, radius {campaign.radius_m} m",
            )
        return None

    def _store_fix(
        self, session: Session, account: str, fix: Fix, problem: tuple[RejectionReason, str] | None
    ) -> MiningFix:
        row = MiningFix(
            account=account,
            lat_e6=fix.lat_e6,
            lon_e6=fix.lon_e6,
            accuracy_m=fix.accuracy_m,
            mock=fix.mock,
            fix_time=fix.timestamp,
            received_at=int(self._clock()),
            trusted=problem is None,
            rejection=problem[0] if problem else None,
        )
        session.add(row)
        session.flush()
        return row


def check_action_name(name: str) -> None:
    """Raises MiningError for a name the oracle cannot keep or show: one that is empty, longer
    than its column, or not a line of printable text."""
    if not 0 < len(name) <= ACTION_NAME_LENGTH:
        raise MiningError(
            f"an action name has 1 to {ACTION_NAME_LENGTH} characters, not {len(name)}"
        )
    if not name.isprintable():
        raise MiningError(f"action name {name!r} is not a line of printable text")


def _check_names(name: str, action_id: bytes) -> None:
    """Raises MiningError unless `name` can be kept and is what `action_id` hashes."""
    check_action_name(name)
    if keccak(text=name) != action_id:
        raise MiningError(
            f"action name {name!r} does not hash to the campaign's action id 0x{action_id.hex()}"
        )


def _terms_of(row: MiningCampaign) -> CampaignTerms:
    return CampaignTerms(
        campaign_id=row.campaign_id,
        lat_e6=row.lat_e6,
        lon_e6=row.lon_e6,
        radius_m=row.radius_m,
        action_id=bytes.fromhex(row.action_id[2:]),
        token=row.token,
        reward_per_claim=row.reward_per_claim,
        first_come=row.first_come,
        max_claims=row.max_claims,
        start=row.start_time,
        end=row.end_time,
        max_accuracy_m=row.max_accuracy_m,
    )
