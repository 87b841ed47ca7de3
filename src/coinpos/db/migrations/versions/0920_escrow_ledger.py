"""The ledger follows the escrow's events: event kinds and their fields on the transaction
log, failed attempts kept for a retry under the same key, the exchange's fee account, and
store balances whose settled part moves only on a confirmed Settled (reserved until then).

Revision ID: 0920_escrow_ledger
Revises: 0900_heads
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coinpos.db.types import Uint256, UtcDateTime

revision = "0920_escrow_ledger"
down_revision = "0900_heads"
branch_labels = None
depends_on = None

_OLD_KINDS = ("payment", "capture", "void", "refund", "settle", "sweep")
_NEW_KINDS = (
    *_OLD_KINDS,
    "kept", "returned", "captured", "refunded", "voided", "reclaimed", "return_owed",
    "owed_withdrawn", "settled", "fees_withdrawn",
)  # fmt: skip


def _kind_check(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade() -> None:
    with op.batch_alter_table("transaction_log") as batch:
        batch.add_column(sa.Column("event", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("attested_key", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("released", Uint256(), nullable=True))
        batch.add_column(sa.Column("fee", Uint256(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="1", nullable=False))
        batch.drop_constraint(op.f("ck_transaction_log_tx_kind"), type_="check")
        batch.create_check_constraint("tx_kind", _kind_check(_NEW_KINDS))
    with op.batch_alter_table("valid_transactions") as batch:
        batch.add_column(sa.Column("released", Uint256(), nullable=True))
        batch.add_column(sa.Column("fee", Uint256(), nullable=True))
        batch.drop_constraint(op.f("ck_valid_transactions_tx_kind"), type_="check")
        batch.create_check_constraint("tx_kind", _kind_check(_NEW_KINDS))
    with op.batch_alter_table("store_balances") as batch:
        batch.add_column(sa.Column("reserved", Uint256(), server_default="0", nullable=False))
    op.create_table(
        "transaction_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log_entry_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("failed_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["log_entry_id"],
            ["transaction_log.id"],
            name=op.f("fk_transaction_attempts_log_entry_id_transaction_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_attempts")),
    )
    op.create_index(
        op.f("ix_transaction_attempts_log_entry_id"),
        "transaction_attempts",
        ["log_entry_id"],
        unique=False,
    )
    op.create_table(
        "fee_balances",
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("accrued", Uint256(), nullable=False),
        sa.Column("settled", Uint256(), nullable=False),
        sa.Column("withdrawn", Uint256(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coin_id"], ["coins.id"], name=op.f("fk_fee_balances_coin_id_coins")
        ),
        sa.PrimaryKeyConstraint("coin_id", name=op.f("pk_fee_balances")),
    )


def downgrade() -> None:
    op.drop_table("fee_balances")
    op.drop_index(op.f("ix_transaction_attempts_log_entry_id"), table_name="transaction_attempts")
    op.drop_table("transaction_attempts")
    with op.batch_alter_table("store_balances") as batch:
        batch.drop_column("reserved")
    # The old schema has no place for what the escrow did: those entries go.
    events = ", ".join(f"'{k}'" for k in _NEW_KINDS if k not in _OLD_KINDS)
    op.execute(
        "DELETE FROM valid_transactions WHERE log_entry_id IN "
        f"(SELECT id FROM transaction_log WHERE kind IN ({events}))"
    )
    op.execute(f"DELETE FROM valid_transactions WHERE kind IN ({events})")
    op.execute(f"DELETE FROM transaction_log WHERE kind IN ({events})")
    with op.batch_alter_table("valid_transactions") as batch:
        batch.drop_constraint(op.f("ck_valid_transactions_tx_kind"), type_="check")
        batch.create_check_constraint("tx_kind", _kind_check(_OLD_KINDS))
        batch.drop_column("fee")
        batch.drop_column("released")
    with op.batch_alter_table("transaction_log") as batch:
        batch.drop_constraint(op.f("ck_transaction_log_tx_kind"), type_="check")
        batch.create_check_constraint("tx_kind", _kind_check(_OLD_KINDS))
        batch.drop_column("attempts")
        batch.drop_column("fee")
        batch.drop_column("released")
        batch.drop_column("attested_key")
        batch.drop_column("event")
