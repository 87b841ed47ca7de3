"""Staff commands: catalogue items removed from sale (kept while invoice lines name them),
and the bank transfer that paid a payout.

Revision ID: 0610_staff_commands
Revises: 0500_fiat_deposits
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coinpos.db.types import UtcDateTime

revision = "0610_staff_commands"
down_revision = "0500_fiat_deposits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_items") as batch:
        batch.add_column(sa.Column("removed_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("payouts") as batch:
        batch.add_column(sa.Column("paid_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("bank_reference", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payouts") as batch:
        batch.drop_column("bank_reference")
        batch.drop_column("paid_at")
    with op.batch_alter_table("catalogue_items") as batch:
        batch.drop_column("removed_at")
