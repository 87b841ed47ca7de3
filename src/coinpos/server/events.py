"""The stream hub: one background task per server process learns of new invoice events
through the database and fans them out to the open streams of those invoices.

- PostgreSQL: LISTEN on `coinpos_invoice_events` (psycopg's async connection). A
  notification names an invoice; the hub reads that invoice's events after the last one it
  passed on. Reading per invoice, not after one global id, matters: ids are taken when a
  row is inserted, so a transaction can commit a lower id after a higher one is visible,
  but for one invoice every writer holds its row lock, so its ids commit in order. A
  periodic read of every subscribed invoice covers notifications lost while the listening
  connection was down.
- SQLite: one writer at a time, so ids commit in order; the hub polls for ids after the
  last one it saw, at a short interval.

Nothing is shared between processes but the database, so any number of workers and servers
serve streams of the same invoice. A stream replays from the table first (every event after
`Last-Event-ID`), then takes live events, skipping what it already sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from coinpos.db.models import InvoiceEvent, InvoiceExceptionStatus, InvoiceStatus
from coinpos.invoices.events import CHANNEL, FINAL_STATUSES

log = logging.getLogger("coinpos.server.events")

POLL_INTERVAL = 0.2
RECHECK_INTERVAL = 5.0
BURST = 0.005
_CHUNK = 900
_BATCH = 2_000


@dataclass(frozen=True)
class EventRecord:
    id: int
    invoice_id: int
    status: InvoiceStatus
    exception_status: InvoiceExceptionStatus | None
    at: datetime

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


class Subscription:
    """One open stream's inbox; None in it means the hub stopped (the server shuts down)."""

    def __init__(self, invoice_id: int) -> None:
        self.invoice_id = invoice_id
        self.queue: asyncio.Queue[EventRecord | None] = asyncio.Queue()


_COLUMNS = (
    InvoiceEvent.id,
    InvoiceEvent.invoice_id,
    InvoiceEvent.status,
    InvoiceEvent.exception_status,
    InvoiceEvent.at,
)


class StreamHub:
    def __init__(
        self,
        engine: Engine,
        poll_interval: float = POLL_INTERVAL,
        recheck_interval: float = RECHECK_INTERVAL,
    ) -> None:
        self.engine = engine
        self.poll_interval = poll_interval
        self.recheck_interval = recheck_interval
        self._subscribers: dict[int, set[Subscription]] = {}
        # Per subscribed invoice, the highest event id passed on (PostgreSQL).
        self._seen: dict[int, int] = {}
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running:
            return
        listen = self.engine.dialect.name == "postgresql"
        self._task = asyncio.get_running_loop().create_task(
            self._listen() if listen else self._poll(), name="coinpos-stream-hub"
        )

    async def stop(self) -> None:
        """Stops listening and ends every open stream."""
        for group in self._subscribers.values():
            for subscription in group:
                subscription.queue.put_nowait(None)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # -- streams --------------------------------------------------------------------

    def subscribe(self, invoice_id: int) -> Subscription:
        self.start()
        subscription = Subscription(invoice_id)
        self._subscribers.setdefault(invoice_id, set()).add(subscription)
        self._seen.setdefault(invoice_id, 0)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        group = self._subscribers.get(subscription.invoice_id)
        if group is None:
            return
        group.discard(subscription)
        if not group:
            del self._subscribers[subscription.invoice_id]
            self._seen.pop(subscription.invoice_id, None)

    @property
    def open_streams(self) -> int:
        return sum(len(group) for group in self._subscribers.values())

    async def history(self, invoice_id: int, after: int) -> list[EventRecord]:
        return await asyncio.to_thread(self._history, invoice_id, after)

    # -- reading the table ----------------------------------------------------------

    def _history(self, invoice_id: int, after: int) -> list[EventRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*_COLUMNS)
                .where(InvoiceEvent.invoice_id == invoice_id, InvoiceEvent.id > after)
                .order_by(InvoiceEvent.id)
            )
            return [EventRecord(*row) for row in rows]

    def _newest_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.max(InvoiceEvent.id))) or 0)

    def _after(self, last: int) -> list[EventRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*_COLUMNS)
                .where(InvoiceEvent.id > last)
                .order_by(InvoiceEvent.id)
                .limit(_BATCH)
            )
            return [EventRecord(*row) for row in rows]

    def _of_invoices(self, floors: dict[int, int]) -> list[EventRecord]:
        found: list[EventRecord] = []
        ids = sorted(floors)
        with self.engine.connect() as conn:
            for start in range(0, len(ids), _CHUNK):
                part = ids[start : start + _CHUNK]
                rows = conn.execute(
                    select(*_COLUMNS)
                    .where(
                        InvoiceEvent.invoice_id.in_(part),
                        InvoiceEvent.id > min(floors[i] for i in part),
                    )
                    .order_by(InvoiceEvent.id)
                )
                found.extend(EventRecord(*row) for row in rows)
        return found

    def _dispatch(self, events: Iterable[EventRecord]) -> None:
        for event in events:
            if event.id <= self._seen.get(event.invoice_id, event.id):
                continue
            self._seen[event.invoice_id] = event.id
            for subscription in self._subscribers.get(event.invoice_id, ()):
                subscription.queue.put_nowait(event)

    # -- SQLite: poll -----------------------------------------------------------------

    async def _poll(self) -> None:
        last = await asyncio.to_thread(self._newest_id)
        while True:
            try:
                if not self._subscribers:
                    last = await asyncio.to_thread(self._newest_id)
                else:
                    while True:
                        events = await asyncio.to_thread(self._after, last)
                        if events:
                            last = events[-1].id
                            self._dispatch_polled(events)
                        if len(events) < _BATCH:
                            break
            except RuntimeError:
                return  # the event loop is shutting down: no thread can be started
            except Exception:
                log.exception("reading invoice events failed; trying again")
            await asyncio.sleep(self.poll_interval)

    def _dispatch_polled(self, events: Sequence[EventRecord]) -> None:
        for event in events:
            for subscription in self._subscribers.get(event.invoice_id, ()):
                subscription.queue.put_nowait(event)

    # -- PostgreSQL: LISTEN -------------------------------------------------------------

    async def _listen(self) -> None:
        import psycopg

        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        woken: asyncio.Queue[int] = asyncio.Queue()
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    reader = asyncio.create_task(self._read_notifies(conn, woken))
                    try:
                        await self._recheck()  # whatever was missed while not listening
                        await self._wake_loop(woken, reader)
                    finally:
                        reader.cancel()
                        with contextlib.suppress(asyncio.CancelledError, Exception):
                            await reader
            except RuntimeError:
                return  # the event loop is shutting down
            except Exception:
                log.exception("listening for invoice events failed; reconnecting")
                await asyncio.sleep(1.0)

    @staticmethod
    async def _read_notifies(conn: object, woken: asyncio.Queue[int]) -> None:
        async for note in conn.notifies():  # type: ignore[attr-defined]
            with contextlib.suppress(ValueError):
                woken.put_nowait(int(note.payload))

    async def _wake_loop(self, woken: asyncio.Queue[int], reader: asyncio.Task[None]) -> None:
        while not reader.done():
            try:
                first = await asyncio.wait_for(woken.get(), self.recheck_interval)
            except TimeoutError:
                await self._recheck()
                continue
            # One commit announces all its invoices at once: let the reader hand them all
            # over, so they cost one query rather than one each.
            await asyncio.sleep(BURST)
            invoices = {first}
            while not woken.empty():
                invoices.add(woken.get_nowait())
            floors = {i: self._seen[i] for i in invoices if i in self._seen}
            if floors:
                self._dispatch(await asyncio.to_thread(self._of_invoices, floors))
        reader.result()  # the connection dropped: raise, reconnect

    async def _recheck(self) -> None:
        if self._seen:
            self._dispatch(await asyncio.to_thread(self._of_invoices, dict(self._seen)))
