"""Escrow v2 terms: an invoice's fee is the store's off-chain rate, not bounds in its terms.

- stores.fee_bps: the exchange's fee on the store's captures (default 100 bps);
- invoices.fee_bps replaces invoices.min_fee_bps/max_fee_bps: the store's rate when the invoice
  was made. An existing invoice gets the fee v1 chose by default: 100 bps, held within its
  bounds;
- invoices.salt now holds the store salt of the v2 terms (storeCommitment =
  keccak256(abi.encode(storeId, salt))); the column is unchanged;
- settlement_batches: one on-chain settle per coin per settlement run, for every store in it,
  its reference keccak256(abi.encode(batchId, salt)); settlements.batch_id links a request to
  its batch, settlements.fee_units is the store's accrued capture fee the batch carries.

Revision ID: 0910_escrow_terms
Revises: 0900_heads
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coinpos.db.types import Uint256, UtcDateTime

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
    op.create_table(
        "settlement_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.Column("salt", sa.String(length=66), nullable=False),
        sa.Column("reference", sa.String(length=66), nullable=False),
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("payout", Uint256(), nullable=False),
        sa.Column("fees", Uint256(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "submitted",
                "settled",
                "failed",
                name="settlement_batch_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("log_entry_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coin_id"], ["coins.id"], name=op.f("fk_settlement_batches_coin_id_coins")
        ),
        sa.ForeignKeyConstraint(
            ["log_entry_id"],
            ["transaction_log.id"],
            name=op.f("fk_settlement_batches_log_entry_id_transaction_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_batches")),
        sa.UniqueConstraint("batch_id", name=op.f("uq_settlement_batches_batch_id")),
        sa.UniqueConstraint("log_entry_id", name=op.f("uq_settlement_batches_log_entry_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_settlement_batches_reference")),
    )
    with op.batch_alter_table("settlements") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("fee_units", Uint256(), nullable=False, server_default="0"))
        batch.create_foreign_key(
            op.f("fk_settlements_batch_id_settlement_batches"),
            "settlement_batches",
            ["batch_id"],
            ["id"],
        )
        batch.create_index(op.f("ix_settlements_batch_id"), ["batch_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("settlements") as batch:
        batch.drop_index(op.f("ix_settlements_batch_id"))
        batch.drop_constraint(
            op.f("fk_settlements_batch_id_settlement_batches"), type_="foreignkey"
        )
        batch.drop_column("fee_units")
        batch.drop_column("batch_id")
    op.drop_table("settlement_batches")
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
