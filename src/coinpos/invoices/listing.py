"""Finding invoices for staff: by store, terminal, status and age, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from coinpos.db.models import Coin, Invoice, InvoiceStatus, Store, Terminal
from coinpos.stores.service import get_store, get_terminal
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError

DEFAULT_LIMIT = 100
# The most one API page holds (the CLI may ask for more).
MAX_PAGE = 200


@dataclass(frozen=True)
class InvoiceQuery:
    # The whole store id (see coinpos.stores.service.resolve_store for what staff type).
    store_id: str | None = None
    # A terminal code; codes are per store, so it needs the store.
    terminal: str | None = None
    status: InvoiceStatus | None = None
    # Only invoices created at or after this moment (timezone-aware).
    since: datetime | None = None
    limit: int = DEFAULT_LIMIT
    # Invoices skipped first (paging through a long list).
    offset: int = 0


@dataclass(frozen=True)
class ListedInvoice:
    invoice: Invoice
    coin: Coin
    store_name: str
    terminal_code: str | None


def list_invoices(uow: UnitOfWork, query: InvoiceQuery) -> list[ListedInvoice]:
    """The invoices matching every filter given, newest first, at most `query.limit`."""
    if query.limit <= 0:
        raise InvalidInputError(f"limit {query.limit} must be positive")
    if query.offset < 0:
        raise InvalidInputError(f"offset {query.offset} must not be negative")
    if query.since is not None and query.since.tzinfo is None:
        raise InvalidInputError("since has no time zone (add Z or +00:00)")
    statement = (
        select(Invoice, Coin, Store.name, Terminal.code)
        .join(Coin, Coin.id == Invoice.coin_id)
        .join(Store, Store.store_id == Invoice.store_id)
        .outerjoin(Terminal, Terminal.id == Invoice.terminal_id)
        .order_by(Invoice.created_at.desc(), Invoice.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    )
    if query.terminal is not None and query.store_id is None:
        raise InvalidInputError(
            f"terminal {query.terminal!r} needs its store: terminal codes are per store"
        )
    if query.store_id is not None:
        statement = statement.where(Invoice.store_id == get_store(uow, query.store_id).store_id)
    if query.terminal is not None and query.store_id is not None:
        terminal = get_terminal(uow, query.store_id, query.terminal)
        statement = statement.where(Invoice.terminal_id == terminal.id)
    if query.status is not None:
        statement = statement.where(Invoice.status == query.status)
    if query.since is not None:
        statement = statement.where(Invoice.created_at >= query.since)
    return [
        ListedInvoice(invoice, coin, name, code)
        for invoice, coin, name, code in uow.session.execute(statement).tuples()
    ]
