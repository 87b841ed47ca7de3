"""Joins the areas' heads into one, so `coinpos db upgrade` has a single target.

Revision ID: 0900_heads
Revises: 0600_tracker_eth, 0610_staff_commands, 0700_server, 0710_webhooks
"""

from __future__ import annotations

revision = "0900_heads"
# Every head this revision merges; a new head branching off 0500 joins this tuple.
down_revision = (
    "0600_tracker_eth",
    "0610_staff_commands",
    "0700_server",
    "0710_webhooks",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
