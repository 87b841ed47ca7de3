"""A summary of the database for `coinpos status`: where it is, its schema, pending work."""

from __future__ import annotations

from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select

from coinpos.db.migrate import MIGRATIONS_DIR
from coinpos.db.models import Payout, PayoutStatus, TransactionLogEntry, TxStatus, ValidTransaction
from coinpos.errors import CoinposError


class DatabaseNotReadyError(CoinposError):
    pass


def database_status(engine: Engine) -> dict[str, Any]:
    expected = set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())
    with engine.connect() as conn:
        applied = set(MigrationContext.configure(conn).get_current_heads())
        if applied != expected:
            missing = ", ".join(sorted(expected - applied)) or "none"
            raise DatabaseNotReadyError(
                f"schema is not up to date (missing {missing}): run `coinpos db upgrade`"
            )

        def count(query: Any) -> int:
            return int(conn.scalar(query) or 0)

        log = select(func.count()).select_from(TransactionLogEntry)
        return {
            "database": engine.url.render_as_string(hide_password=True),
            "backend": engine.dialect.name,
            "schema": ", ".join(sorted(applied)),
            "pending_log_entries": count(log.where(TransactionLogEntry.status == TxStatus.PENDING)),
            "failed_log_entries": count(log.where(TransactionLogEntry.status == TxStatus.FAILED)),
            # Observed payments a reorg removed for good: neither pending nor failed.
            "dropped_log_entries": count(log.where(TransactionLogEntry.status == TxStatus.DROPPED)),
            "valid_transactions": count(select(func.count()).select_from(ValidTransaction)),
            "pending_payouts": count(
                select(func.count())
                .select_from(Payout)
                .where(Payout.status == PayoutStatus.PENDING)
            ),
        }
