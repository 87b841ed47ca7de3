"""Mining campaigns keep their action's name: mining_campaigns.action_name, the text whose
keccak256 is the action id (the chain keeps only the hash). Nullable: a campaign registered
before, or by its id alone, has no known name.

Revision ID: 1000_mining_action_names
Revises: 0990_heads
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "1000_mining_action_names"
down_revision = "0990_heads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mining_campaigns") as batch:
        batch.add_column(sa.Column("action_name", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mining_campaigns") as batch:
        batch.drop_column("action_name")
