"""Tracker: ETH deposits read from blocks (their sender on the log), observed payments a
reorg dropped, sweeps out of ETH deposit addresses, and a stalled tracker's cause.

Revision ID: 0600_tracker_eth
Revises: 0500_fiat_deposits
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coinpos.db.types import Uint256, UtcDateTime

revision = "0600_tracker_eth"
down_revision = "0500_fiat_deposits"
branch_labels = None
depends_on = None

_OLD_STATUSES = ("pending", "confirmed", "failed", "cancelled")
_NEW_STATUSES = (*_OLD_STATUSES, "dropped")


def _status_check(statuses: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


def upgrade() -> None:
    with op.batch_alter_table("transaction_log") as batch:
        batch.add_column(sa.Column("sender", sa.String(length=42), nullable=True))
        batch.add_column(sa.Column("detached_block", sa.Integer(), nullable=True))
        batch.drop_constraint(op.f("ck_transaction_log_tx_status"), type_="check")
        batch.create_check_constraint("tx_status", _status_check(_NEW_STATUSES))
    with op.batch_alter_table("tracker_cursors") as batch:
        batch.add_column(sa.Column("stalled_since", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("stall_call", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("stall_error", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("stall_attempts", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "eth_deposit_sweeps",
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("block_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_eth_deposit_sweeps_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_eth_deposit_sweeps")
        ),
    )
    op.create_index(
        op.f("ix_eth_deposit_sweeps_invoice_id"), "eth_deposit_sweeps", ["invoice_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_eth_deposit_sweeps_invoice_id"), table_name="eth_deposit_sweeps")
    op.drop_table("eth_deposit_sweeps")
    with op.batch_alter_table("tracker_cursors") as batch:
        batch.drop_column("stall_attempts")
        batch.drop_column("stall_error")
        batch.drop_column("stall_call")
        batch.drop_column("stalled_since")
    # Dropped entries were never paid on the chain as it stands: the old schema calls that
    # cancelled.
    op.execute("UPDATE transaction_log SET status = 'cancelled' WHERE status = 'dropped'")
    with op.batch_alter_table("transaction_log") as batch:
        batch.drop_constraint(op.f("ck_transaction_log_tx_status"), type_="check")
        batch.create_check_constraint("tx_status", _status_check(_OLD_STATUSES))
        batch.drop_column("detached_block")
        batch.drop_column("sender")
