"""Escrow v2 terms: an invoice's fee is the store's off-chain rate, not bounds in its terms.

- stores.fee_bps: the exchange's fee on the store's captures (default 100 bps);
- invoices.fee_bps replaces invoices.min_fee_bps/max_fee_bps: the store's rate when the invoice
  was made. An existing invoice gets the fee v1 chose by default: 100 bps, held within its
  bounds;
- invoices.salt now holds the store salt of the v2 terms (storeCommitment =
  keccak256(abi.encode(storeId, salt))); the column is unchanged.

Revision ID: 0910_escrow_terms
Revises: 0900_heads
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0910_escrow_terms"
down_revision = "0900_heads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stores") as batch:
        batch.add_column(sa.Column("fee_bps", sa.Integer(), nullable=False, server_default="100"))
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("fee_bps", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE invoices SET fee_bps = CASE WHEN min_fee_bps > 100 THEN min_fee_bps "
        "WHEN max_fee_bps < 100 THEN max_fee_bps ELSE 100 END"
    )
    with op.batch_alter_table("invoices") as batch:
        batch.alter_column("fee_bps", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("min_fee_bps")
        batch.drop_column("max_fee_bps")


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("min_fee_bps", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("max_fee_bps", sa.Integer(), nullable=True))
    op.execute("UPDATE invoices SET min_fee_bps = fee_bps, max_fee_bps = fee_bps")
    with op.batch_alter_table("invoices") as batch:
        batch.alter_column("min_fee_bps", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("max_fee_bps", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("fee_bps")
    with op.batch_alter_table("stores") as batch:
        batch.drop_column("fee_bps")
