"""Location mining: campaigns mirrored for the oracle, recent fixes, claim attempts.

Revision ID: 0100_mining
Revises: 0001_baseline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coinpos.db.types import Uint256

revision = "0100_mining"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

REJECTION = sa.Enum(
    "too_many_attempts", "repeat_claim", "mock_location", "fix_too_old", "fix_in_future",
    "accuracy_too_coarse", "impossible_speed", "campaign_not_active", "action_mismatch",
    "outside_place",
    name="rejectionreason", native_enum=False, length=32,
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "mining_campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(42), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("lat_e6", sa.Integer(), nullable=False),
        sa.Column("lon_e6", sa.Integer(), nullable=False),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.String(66), nullable=False),
        sa.Column("token", sa.String(42), nullable=False),
        sa.Column("reward_per_claim", Uint256(), nullable=False),
        sa.Column("first_come", sa.Boolean(), nullable=False),
        sa.Column("max_claims", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=False),
        sa.Column("end_time", sa.BigInteger(), nullable=False),
        sa.Column("max_accuracy_m", sa.Float(), nullable=False),
        sa.Column("claim_id_prefix", sa.String(48), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mining_campaigns")),
        sa.UniqueConstraint(
            "chain_id", "contract", "campaign_id",
            name=op.f("uq_mining_campaigns_chain_id_contract_campaign_id"),
        ),
    )  # fmt: skip
    op.create_table(
        "mining_fixes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account", sa.String(42), nullable=False),
        sa.Column("lat_e6", sa.Integer(), nullable=False),
        sa.Column("lon_e6", sa.Integer(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=False),
        sa.Column("mock", sa.Boolean(), nullable=False),
        sa.Column("fix_time", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        sa.Column("rejection", REJECTION, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mining_fixes")),
    )
    op.create_index("ix_mining_fixes_account_fix_time", "mining_fixes", ["account", "fix_time"])
    op.create_table(
        "mining_claims",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_pk", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(42), nullable=False),
        sa.Column("fix_pk", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("rejected", "approved", "submitted", name="claimstatus",
                    native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("rejection", REJECTION, nullable=True),
        sa.Column("detail", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("claim_id", sa.String(66), nullable=True),
        sa.Column("deadline", sa.BigInteger(), nullable=True),
        sa.Column("signer", sa.String(42), nullable=True),
        sa.Column("signature", sa.String(300), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mining_claims")),
        sa.ForeignKeyConstraint(
            ["campaign_pk"], ["mining_campaigns.id"],
            name=op.f("fk_mining_claims_campaign_pk_mining_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["fix_pk"], ["mining_fixes.id"], name=op.f("fk_mining_claims_fix_pk_mining_fixes")
        ),
        sa.UniqueConstraint("claim_id", name=op.f("uq_mining_claims_claim_id")),
    )  # fmt: skip
    op.create_index(
        "ix_mining_claims_recipient_created_at", "mining_claims", ["recipient", "created_at"]
    )
    op.create_index(
        "uq_mining_claims_campaign_recipient_granted",
        "mining_claims",
        ["campaign_pk", "recipient"],
        unique=True,
        sqlite_where=sa.text("status != 'rejected'"),
        postgresql_where=sa.text("status != 'rejected'"),
    )


def downgrade() -> None:
    op.drop_table("mining_claims")
    op.drop_table("mining_fixes")
    op.drop_table("mining_campaigns")
