"""Invoice issuance: the EIP-712 domain and operator signature on each invoice, its QR files,
and the catalogue lines an invoice was made from.

Revision ID: 0400_chainops
Revises: 0200_exchange
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coinpos.db.types import Uint256

revision = "0400_chainops"
down_revision = "0200_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("chain_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("escrow_address", sa.String(length=42), nullable=True))
        batch.add_column(sa.Column("operator_signature", sa.String(length=132), nullable=True))
        batch.add_column(sa.Column("qr_png_path", sa.Text(), nullable=True))
        batch.add_column(sa.Column("qr_svg_path", sa.Text(), nullable=True))
    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", Uint256(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_lines_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["catalogue_items.id"],
            name=op.f("fk_invoice_lines_item_id_catalogue_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
    )
    op.create_index(
        op.f("ix_invoice_lines_invoice_id"), "invoice_lines", ["invoice_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_invoice_lines_invoice_id"), table_name="invoice_lines")
    op.drop_table("invoice_lines")
    with op.batch_alter_table("invoices") as batch:
        for column in (
            "qr_svg_path",
            "qr_png_path",
            "operator_signature",
            "escrow_address",
            "chain_id",
        ):
            batch.drop_column(column)
