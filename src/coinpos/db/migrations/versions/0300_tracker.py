"""Tracker: the block hashes it saw, to find a reorg's fork point.

Revision ID: 0300_tracker
Revises: 0200_exchange
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coinpos.db.types import UtcDateTime

revision = "0300_tracker"
down_revision = "0200_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracked_blocks",
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("range_end", sa.Boolean(), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "number", name=op.f("pk_tracked_blocks")),
    )


def downgrade() -> None:
    op.drop_table("tracked_blocks")
