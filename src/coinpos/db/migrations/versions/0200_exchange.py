"""Exchange module schema: customers, stores, catalogue, invoices, rates, transaction log,
valid transactions, settlements, payouts, notification outbox and tracker cursor.

Money columns use coinpos.db.types so that uint256 amounts and Decimal fiat stay exact on
SQLite (decimal text) and PostgreSQL (NUMERIC).

Revision ID: 0200_exchange
Revises: 0001_baseline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coinpos.db.types import ExactDecimal, Uint256, UtcDateTime

revision = "0200_exchange"
down_revision = "0001_baseline"
branch_labels = ("exchange",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=True),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "decimals >= 0 AND decimals <= 36", name=op.f("ck_coins_decimals_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coins")),
        sa.UniqueConstraint("chain_id", "symbol", name=op.f("uq_coins_chain_id_symbol")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login_id", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "customer_type",
            sa.Enum(
                "individual",
                "business",
                name="customer_type",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("device_type", sa.String(length=32), nullable=True),
        sa.Column("subscribed_on", sa.Date(), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=True),
        sa.Column("bank_account_number", sa.String(length=64), nullable=True),
        sa.Column("latitude_e6", sa.Integer(), nullable=True),
        sa.Column("longitude_e6", sa.Integer(), nullable=True),
        sa.Column("affiliated_group", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("unregistered_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("login_id", name=op.f("uq_customers_login_id")),
    )
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coin", sa.String(length=16), nullable=False),
        sa.Column("fiat", sa.String(length=3), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "feed",
                "staff",
                "csv",
                name="rate_source",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("rate", ExactDecimal(precision=38, scale=18), nullable=False),
        sa.Column("observed_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rates")),
        sa.UniqueConstraint(
            "coin",
            "fiat",
            "source",
            "observed_at",
            name=op.f("uq_exchange_rates_coin_fiat_source_observed_at"),
        ),
    )
    op.create_index(
        "ix_exchange_rates_latest", "exchange_rates", ["coin", "fiat", "observed_at"], unique=False
    )
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "delivered",
                "failed",
                name="notification_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_outbox_dedupe_key")),
    )
    op.create_table(
        "stores",
        sa.Column("store_id", sa.String(length=66), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fiat", sa.String(length=3), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=True),
        sa.Column("bank_account_number", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_stores")),
    )
    op.create_table(
        "tracker_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("last_block", sa.Integer(), nullable=False),
        sa.Column("last_block_hash", sa.String(length=66), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_tracker_cursors")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("account_code", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_accounts_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("address", name=op.f("uq_accounts_address")),
        sa.UniqueConstraint(
            "customer_id", "account_code", name=op.f("uq_accounts_customer_id_account_code")
        ),
    )
    op.create_index(op.f("ix_accounts_customer_id"), "accounts", ["customer_id"], unique=False)
    op.create_table(
        "catalogue_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=66), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("price", Uint256(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_catalogue_items_stock_not_negative")),
        sa.ForeignKeyConstraint(
            ["coin_id"], ["coins.id"], name=op.f("fk_catalogue_items_coin_id_coins")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.store_id"], name=op.f("fk_catalogue_items_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_items")),
        sa.UniqueConstraint("store_id", "sku", name=op.f("uq_catalogue_items_store_id_sku")),
    )
    op.create_table(
        "store_balances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=66), nullable=False),
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("captured", Uint256(), nullable=False),
        sa.Column("settled", Uint256(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coin_id"], ["coins.id"], name=op.f("fk_store_balances_coin_id_coins")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.store_id"], name=op.f("fk_store_balances_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_balances")),
        sa.UniqueConstraint("store_id", "coin_id", name=op.f("uq_store_balances_store_id_coin_id")),
    )
    op.create_table(
        "terminals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=66), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.store_id"], name=op.f("fk_terminals_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminals")),
        sa.UniqueConstraint("store_id", "code", name=op.f("uq_terminals_store_id_code")),
    )
    op.create_table(
        "wallets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_wallets_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallets")),
        sa.UniqueConstraint("chain_id", "address", name=op.f("uq_wallets_chain_id_address")),
    )
    op.create_index(op.f("ix_wallets_customer_id"), "wallets", ["customer_id"], unique=False)
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_hash", sa.String(length=66), nullable=False),
        sa.Column("store_id", sa.String(length=66), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=True),
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("payer", sa.String(length=42), nullable=True),
        sa.Column("pay_deadline", UtcDateTime(), nullable=False),
        sa.Column("authorization_expiry", UtcDateTime(), nullable=False),
        sa.Column("refund_deadline", UtcDateTime(), nullable=False),
        sa.Column("min_fee_bps", sa.Integer(), nullable=False),
        sa.Column("max_fee_bps", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=66), nullable=False),
        sa.Column("deposit_address", sa.String(length=42), nullable=True),
        sa.Column("payment_uri", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "New",
                "Processing",
                "Settled",
                "Expired",
                "Invalid",
                name="invoice_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "exception_status",
            sa.Enum(
                "PaidPartial",
                "PaidOver",
                "PaidLate",
                name="invoice_exception_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("amount_paid", Uint256(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["coin_id"], ["coins.id"], name=op.f("fk_invoices_coin_id_coins")),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.store_id"], name=op.f("fk_invoices_store_id_stores")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.id"], name=op.f("fk_invoices_terminal_id_terminals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("invoice_hash", name=op.f("uq_invoices_invoice_hash")),
    )
    op.create_index(op.f("ix_invoices_store_id"), "invoices", ["store_id"], unique=False)
    op.create_table(
        "wallet_coins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wallet_id", sa.Integer(), nullable=False),
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coin_id"], ["coins.id"], name=op.f("fk_wallet_coins_coin_id_coins")
        ),
        sa.ForeignKeyConstraint(
            ["wallet_id"], ["wallets.id"], name=op.f("fk_wallet_coins_wallet_id_wallets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_coins")),
        sa.UniqueConstraint("wallet_id", "coin_id", name=op.f("uq_wallet_coins_wallet_id_coin_id")),
    )
    op.create_table(
        "transaction_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "payment",
                "capture",
                "void",
                "refund",
                "settle",
                "sweep",
                name="tx_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "failed",
                "cancelled",
                name="tx_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("store_id", sa.String(length=66), nullable=True),
        sa.Column("coin_id", sa.Integer(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("amount", Uint256(), nullable=True),
        sa.Column("reference", sa.String(length=66), nullable=True),
        sa.Column("chain_id", sa.Integer(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("log_index", sa.Integer(), nullable=True),
        sa.Column("block_number", sa.Integer(), nullable=True),
        sa.Column("block_hash", sa.String(length=66), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deadline", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coin_id"], ["coins.id"], name=op.f("fk_transaction_log_coin_id_coins")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_transaction_log_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.store_id"], name=op.f("fk_transaction_log_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_log")),
        sa.UniqueConstraint(
            "chain_id",
            "tx_hash",
            "log_index",
            name=op.f("uq_transaction_log_chain_id_tx_hash_log_index"),
        ),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_transaction_log_idempotency_key")),
    )
    op.create_index(
        "ix_transaction_log_status_deadline",
        "transaction_log",
        ["status", "deadline"],
        unique=False,
    )
    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("reference", sa.String(length=66), nullable=False),
        sa.Column("store_id", sa.String(length=66), nullable=False),
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("fiat", sa.String(length=3), nullable=False),
        sa.Column("rate_id", sa.Integer(), nullable=False),
        sa.Column("rate", ExactDecimal(precision=38, scale=18), nullable=False),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        sa.Column("gross_fiat", ExactDecimal(precision=30, scale=4), nullable=False),
        sa.Column("fee_fiat", ExactDecimal(precision=30, scale=4), nullable=False),
        sa.Column("net_fiat", ExactDecimal(precision=30, scale=4), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "submitted",
                "settled",
                "failed",
                name="settlement_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("log_entry_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coin_id"], ["coins.id"], name=op.f("fk_settlements_coin_id_coins")
        ),
        sa.ForeignKeyConstraint(
            ["log_entry_id"],
            ["transaction_log.id"],
            name=op.f("fk_settlements_log_entry_id_transaction_log"),
        ),
        sa.ForeignKeyConstraint(
            ["rate_id"], ["exchange_rates.id"], name=op.f("fk_settlements_rate_id_exchange_rates")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.store_id"], name=op.f("fk_settlements_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_settlements_idempotency_key")),
        sa.UniqueConstraint("log_entry_id", name=op.f("uq_settlements_log_entry_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_settlements_reference")),
    )
    op.create_index(op.f("ix_settlements_store_id"), "settlements", ["store_id"], unique=False)
    op.create_table(
        "valid_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log_entry_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "payment",
                "capture",
                "void",
                "refund",
                "settle",
                "sweep",
                name="tx_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("store_id", sa.String(length=66), nullable=True),
        sa.Column("coin_id", sa.Integer(), nullable=True),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.Integer(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("confirmed_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coin_id"], ["coins.id"], name=op.f("fk_valid_transactions_coin_id_coins")
        ),
        sa.ForeignKeyConstraint(
            ["log_entry_id"],
            ["transaction_log.id"],
            name=op.f("fk_valid_transactions_log_entry_id_transaction_log"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.store_id"], name=op.f("fk_valid_transactions_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_valid_transactions")),
        sa.UniqueConstraint(
            "chain_id",
            "tx_hash",
            "log_index",
            name=op.f("uq_valid_transactions_chain_id_tx_hash_log_index"),
        ),
        sa.UniqueConstraint("log_entry_id", name=op.f("uq_valid_transactions_log_entry_id")),
    )
    op.create_index(
        op.f("ix_valid_transactions_store_id"), "valid_transactions", ["store_id"], unique=False
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=66), nullable=False),
        sa.Column("fiat", sa.String(length=3), nullable=False),
        sa.Column("amount", ExactDecimal(precision=30, scale=4), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=True),
        sa.Column("bank_account_number", sa.String(length=64), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "exported",
                "paid",
                name="payout_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("exported_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["settlement_id"], ["settlements.id"], name=op.f("fk_payouts_settlement_id_settlements")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.store_id"], name=op.f("fk_payouts_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("settlement_id", name=op.f("uq_payouts_settlement_id")),
    )
    op.create_index(op.f("ix_payouts_store_id"), "payouts", ["store_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_payouts_store_id"), table_name="payouts")
    op.drop_table("payouts")
    op.drop_index(op.f("ix_valid_transactions_store_id"), table_name="valid_transactions")
    op.drop_table("valid_transactions")
    op.drop_index(op.f("ix_settlements_store_id"), table_name="settlements")
    op.drop_table("settlements")
    op.drop_index("ix_transaction_log_status_deadline", table_name="transaction_log")
    op.drop_table("transaction_log")
    op.drop_table("wallet_coins")
    op.drop_index(op.f("ix_invoices_store_id"), table_name="invoices")
    op.drop_table("invoices")
    op.drop_index(op.f("ix_wallets_customer_id"), table_name="wallets")
    op.drop_table("wallets")
    op.drop_table("terminals")
    op.drop_table("store_balances")
    op.drop_table("catalogue_items")
    op.drop_index(op.f("ix_accounts_customer_id"), table_name="accounts")
    op.drop_table("accounts")
    op.drop_table("tracker_cursors")
    op.drop_table("stores")
    op.drop_table("notification_outbox")
    op.drop_index("ix_exchange_rates_latest", table_name="exchange_rates")
    op.drop_table("exchange_rates")
    op.drop_table("customers")
    op.drop_table("coins")
