"""Joins escrow v2's two heads (the invoice terms and settlement batches, the event ledger).

Revision ID: 0990_heads
Revises: 0910_escrow_terms, 0920_escrow_ledger
"""

from __future__ import annotations

revision = "0990_heads"
# Every head this revision merges; a new head branching off 0900_heads joins this tuple.
down_revision = (
    "0910_escrow_terms",
    "0920_escrow_ledger",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
