"""Fiat deposits: the bank payments e-money is issued against, keyed by bank reference.

Revision ID: 0500_fiat_deposits
Revises: 0100_mining, 0300_tracker, 0400_chainops
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coinpos.db.types import ExactDecimal, Uint256, UtcDateTime

revision = "0500_fiat_deposits"
# Every head this revision merges; a new head branching off the baseline joins this tuple.
down_revision = (
    "0100_mining",
    "0300_tracker",
    "0400_chainops",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fiat_deposits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("wallet_address", sa.String(length=42), nullable=False),
        sa.Column("fiat", sa.String(length=3), nullable=False),
        sa.Column("fiat_amount", ExactDecimal(precision=30, scale=4), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("bank_reference", sa.String(length=100), nullable=False),
        sa.Column("mint_reference", sa.String(length=66), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "minted",
                "failed",
                name="fiat_deposit_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coin_id"], ["coins.id"], name=op.f("fk_fiat_deposits_coin_id_coins")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_fiat_deposits_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiat_deposits")),
        sa.UniqueConstraint("bank_reference", name=op.f("uq_fiat_deposits_bank_reference")),
        sa.UniqueConstraint("mint_reference", name=op.f("uq_fiat_deposits_mint_reference")),
    )
    op.create_index(
        op.f("ix_fiat_deposits_customer_id"), "fiat_deposits", ["customer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_fiat_deposits_customer_id"), table_name="fiat_deposits")
    op.drop_table("fiat_deposits")
