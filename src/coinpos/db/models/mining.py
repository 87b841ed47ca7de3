"""Location-mining tables: the oracle's mirror of campaigns, users' recent fixes, claim attempts.

Token amounts are integers in base units (`Uint256`, exact on SQLite and PostgreSQL alike).
Times are unix seconds.
"""

from __future__ import annotations

import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.types import Uint256

__all__ = [
    "ACTION_NAME_LENGTH",
    "ClaimStatus",
    "MiningCampaign",
    "MiningClaim",
    "MiningFix",
    "RejectionReason",
]


# The longest action name kept: a short verb phrase a shopper reads ("scan-the-poster").
ACTION_NAME_LENGTH = 64


class RejectionReason(enum.StrEnum):
    """Why the oracle refused to sign a claim (or distrusts a fix)."""

    TOO_MANY_ATTEMPTS = "too_many_attempts"
    REPEAT_CLAIM = "repeat_claim"
    MOCK_LOCATION = "mock_location"
    FIX_TOO_OLD = "fix_too_old"
    FIX_IN_FUTURE = "fix_in_future"
    ACCURACY_TOO_COARSE = "accuracy_too_coarse"
    IMPOSSIBLE_SPEED = "impossible_speed"
    CAMPAIGN_NOT_ACTIVE = "campaign_not_active"
    ACTION_MISMATCH = "action_mismatch"
    OUTSIDE_PLACE = "outside_place"


class ClaimStatus(enum.StrEnum):
    REJECTED = "rejected"
    APPROVED = "approved"
    SUBMITTED = "submitted"


def _enum(cls: type[enum.StrEnum], length: int) -> Enum:
    """Stores the member's value (lower case), the same strings the migration declares."""
    return Enum(
        cls,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class MiningCampaign(Base):
    """The oracle's copy of an on-chain campaign, plus the off-chain accuracy limit and, when
    known, the name its action id hashes."""

    __tablename__ = "mining_campaigns"
    __table_args__ = (UniqueConstraint("chain_id", "contract", "campaign_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    contract: Mapped[str] = mapped_column(String(42))
    campaign_id: Mapped[int] = mapped_column(BigInteger)
    lat_e6: Mapped[int] = mapped_column(Integer)
    lon_e6: Mapped[int] = mapped_column(Integer)
    radius_m: Mapped[int] = mapped_column(Integer)
    action_id: Mapped[str] = mapped_column(String(66))
    # What `action_id` is the keccak256 of, when the oracle was told; the chain keeps only the hash.
    action_name: Mapped[str | None] = mapped_column(String(ACTION_NAME_LENGTH))
    token: Mapped[str] = mapped_column(String(42))
    reward_per_claim: Mapped[int] = mapped_column(Uint256)
    first_come: Mapped[bool] = mapped_column(Boolean)
    max_claims: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[int] = mapped_column(BigInteger)
    end_time: Mapped[int] = mapped_column(BigInteger)
    max_accuracy_m: Mapped[float] = mapped_column(Float)
    claim_id_prefix: Mapped[str] = mapped_column(String(48))


class MiningFix(Base):
    """A position an account's device reported; `trusted` fixes anchor the travel-speed check."""

    __tablename__ = "mining_fixes"
    __table_args__ = (Index("ix_mining_fixes_account_fix_time", "account", "fix_time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(42))
    lat_e6: Mapped[int] = mapped_column(Integer)
    lon_e6: Mapped[int] = mapped_column(Integer)
    accuracy_m: Mapped[float] = mapped_column(Float)
    mock: Mapped[bool] = mapped_column(Boolean)
    fix_time: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[int] = mapped_column(BigInteger)
    trusted: Mapped[bool] = mapped_column(Boolean)
    rejection: Mapped[RejectionReason | None] = mapped_column(_enum(RejectionReason, 32))


class MiningClaim(Base):
    """One claim attempt: rejected with a reason, or approved with the signed attestation."""

    __tablename__ = "mining_claims"
    __table_args__ = (
        Index("ix_mining_claims_recipient_created_at", "recipient", "created_at"),
        # At most one approved (or submitted) claim per recipient and campaign, even with
        # several oracle workers racing on PostgreSQL.
        Index(
            "uq_mining_claims_campaign_recipient_granted",
            "campaign_pk",
            "recipient",
            unique=True,
            sqlite_where=text("status != 'rejected'"),
            postgresql_where=text("status != 'rejected'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_pk: Mapped[int] = mapped_column(ForeignKey("mining_campaigns.id"))
    recipient: Mapped[str] = mapped_column(String(42))
    fix_pk: Mapped[int] = mapped_column(ForeignKey("mining_fixes.id"))
    status: Mapped[ClaimStatus] = mapped_column(_enum(ClaimStatus, 16))
    rejection: Mapped[RejectionReason | None] = mapped_column(_enum(RejectionReason, 32))
    detail: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[int] = mapped_column(BigInteger)
    claim_id: Mapped[str | None] = mapped_column(String(66), unique=True)
    deadline: Mapped[int | None] = mapped_column(BigInteger)
    signer: Mapped[str | None] = mapped_column(String(42))
    signature: Mapped[str | None] = mapped_column(String(300))
    tx_hash: Mapped[str | None] = mapped_column(String(66))
