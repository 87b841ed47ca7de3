"""Following an invoice's status until it is final, by polling the database.

Each poll reads in a transaction of its own and ends it, so the next poll sees what the
tracker committed meanwhile, and a watcher never holds a lock or a snapshot while it waits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import select

from coinpos.db.models import Invoice, InvoiceExceptionStatus, InvoiceStatus
from coinpos.invoices.service import InvoiceError, get_invoice
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError

FINAL_STATUSES = frozenset({InvoiceStatus.SETTLED, InvoiceStatus.EXPIRED, InvoiceStatus.INVALID})


class WatchTimeoutError(InvoiceError):
    """The invoice was not final when the watch's time ran out."""


@dataclass(frozen=True)
class InvoiceState:
    status: InvoiceStatus
    exception_status: InvoiceExceptionStatus | None
    amount_paid: int

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


def follow_invoice(
    uow: UnitOfWork,
    ref: str,
    interval: float,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[InvoiceState]:
    """Yields the invoice's state now, then each change, and stops after a final state.

    Raises WatchTimeoutError when `timeout` seconds pass first.
    """
    if interval <= 0:
        raise InvalidInputError(f"interval {interval} must be more than zero seconds")
    if timeout < 0:
        raise InvalidInputError(f"timeout {timeout} must not be negative")
    invoice_id = get_invoice(uow, ref).id
    uow.rollback()
    deadline = clock() + timeout
    last: InvoiceState | None = None
    while True:
        row = uow.session.execute(
            select(Invoice.status, Invoice.exception_status, Invoice.amount_paid).where(
                Invoice.id == invoice_id
            )
        ).one()
        uow.rollback()
        state = InvoiceState(row.status, row.exception_status, row.amount_paid)
        if state != last:
            yield state
            last = state
        if state.final:
            return
        remaining = deadline - clock()
        if remaining <= 0:
            raise WatchTimeoutError(f"invoice {ref} is still {state.status} after {timeout:g} s")
        sleep(min(interval, remaining))
