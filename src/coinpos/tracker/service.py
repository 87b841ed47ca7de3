"""The tracker's run: check for a reorg, scan new ranges, anchor the exchange's own
transactions, confirm what is deep enough, cancel what is overdue, refresh invoice statuses.

Every step is one database transaction that starts by locking the tracker's cursor row
(an UPDATE: a row lock on PostgreSQL, the write lock on SQLite), then re-reads the cursor.
A second tracker therefore waits and continues from where the first one committed, and a
tracker killed at any point leaves the last committed step: entries, stored hashes and the
cursor move together, and each observation has a key derived from its place on the chain.

A node that refuses a call (or does not answer) fails the pass; the failure is written on
the cursor row (which call, the node's words, since when, how many passes in a row) so
`coinpos status` shows the stall, and the next range scanned clears it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coinpos.db.engine import session_factory
from coinpos.db.models import TrackedBlock, TrackerCursor, TransactionLogEntry, TxStatus
from coinpos.db.types import utcnow
from coinpos.tracker import (
    escrow_events,
    eth_balances,
    invoice_status,
    observations,
    outgoing,
    watchlist,
)
from coinpos.tracker.chain import BlockRef, ChainReader
from coinpos.tracker.config import TrackerConfig
from coinpos.tracker.confirmations import confirm_ready, confirmable_bound
from coinpos.tracker.errors import RpcError, TrackerError
from coinpos.tracker.expiry import cancel_overdue
from coinpos.tracker.outbox import notify
from coinpos.tracker.reorgs import detach_after, find_fork
from coinpos.tracker.revert import ErrorDecoder
from coinpos.tracker.scan import ReorgDuringScanError, scan_range

Progress = Callable[[int, int], None]


@dataclass
class RunSummary:
    chain_id: int
    head: int = 0
    cursor: int = 0
    ranges: int = 0
    recorded: int = 0
    anchored: int = 0
    confirmed: int = 0
    detached: int = 0
    failed: int = 0
    cancelled: int = 0
    reorgs: int = 0
    dropped: int = 0
    unexplained: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Tracker:
    def __init__(
        self,
        engine: Engine,
        chain: ChainReader,
        config: TrackerConfig | None = None,
        decoder: ErrorDecoder | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.chain = chain
        self.config = config or TrackerConfig()
        chain.batch_size = self.config.rpc_batch_size
        self.decoder = decoder or ErrorDecoder()
        self.clock = clock
        self._sessions = session_factory(engine)

    @property
    def cursor_name(self) -> str:
        return f"{self.config.cursor_name}@{self.chain.chain_id()}"

    # -- the run ---------------------------------------------------------------------

    def run_once(self, progress: Progress | None = None) -> RunSummary:
        chain_id = self.chain.chain_id()
        summary = RunSummary(chain_id)
        try:
            # A confirmation step that finds a moved block rewinds the cursor; scan again.
            for _ in range(3):
                self._check_reorg(summary)
                watched = self._scan(summary, progress)
                self._receipts(summary)
                if not self._confirm(summary):
                    break
            self._check_eth_balances(summary, list(watched.eth.values()))
            self._expire(summary)
        except TrackerError as exc:
            self._record_stall(exc)
            raise
        self._prune()
        return summary

    def _record_stall(self, exc: TrackerError) -> None:
        """Writes the failure on the cursor row, in a transaction of its own."""
        with self._sessions() as session:
            cursor = self._lock(session)
            cursor.stalled_since = cursor.stalled_since or self.clock()
            cursor.stall_call = exc.method if isinstance(exc, RpcError) else "(node connection)"
            cursor.stall_error = str(exc)
            cursor.stall_attempts += 1
            session.commit()

    # -- steps -----------------------------------------------------------------------

    def _lock(self, session: Session) -> TrackerCursor:
        chain_id = self.chain.chain_id()
        now = self.clock()
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(TrackerCursor)
            .values(
                name=self.cursor_name,
                chain_id=chain_id,
                last_block=self.config.start_block - 1,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["name"])
        )
        session.execute(
            update(TrackerCursor)
            .where(TrackerCursor.name == self.cursor_name)
            .values(updated_at=now)
        )
        return session.scalars(
            select(TrackerCursor)
            .where(TrackerCursor.name == self.cursor_name)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()

    def _check_reorg(self, summary: RunSummary) -> None:
        chain_id = summary.chain_id
        with self._sessions() as session:
            cursor = self._lock(session)
            stored = dict(
                session.execute(
                    select(TrackedBlock.number, TrackedBlock.hash)
                    .where(TrackedBlock.chain_id == chain_id)
                    .order_by(TrackedBlock.number.desc())
                    .limit(self.config.reorg_window)
                ).all()
            )
            if not stored:
                return
            on_chain = {n: b.hash for n, b in self.chain.blocks(stored).items()}
            fork = find_fork(stored, on_chain, self.config.start_block - 1)
            if fork is None:
                return
            self._rewind(session, cursor, fork.base, summary)
            session.commit()

    def _rewind(
        self, session: Session, cursor: TrackerCursor, base: int, summary: RunSummary
    ) -> None:
        """Moves the cursor back below `base` (the highest block known to be unchanged) by the
        margin, then down to the end of a scanned range, and detaches what lies above."""
        chain_id = summary.chain_id
        now = self.clock()
        floor = self.config.start_block - 1
        wanted = max(min(cursor.last_block, base - self.config.rescan_margin), floor)
        target = session.scalar(
            select(func.max(TrackedBlock.number)).where(
                TrackedBlock.chain_id == chain_id,
                TrackedBlock.range_end.is_(True),
                TrackedBlock.number <= wanted,
            )
        )
        target = floor if target is None else target
        heights = session.scalars(
            select(TransactionLogEntry.block_number).where(
                TransactionLogEntry.chain_id == chain_id,
                TransactionLogEntry.block_number > target,
            )
        )
        on_chain = {
            n: b.hash for n, b in self.chain.blocks(h for h in heights if h is not None).items()
        }
        detached = detach_after(session, chain_id, target, on_chain, now)
        touched = session.scalars(
            select(TransactionLogEntry.invoice_id).where(
                TransactionLogEntry.chain_id == chain_id,
                TransactionLogEntry.invoice_id.is_not(None),
                TransactionLogEntry.block_number.is_(None),
                TransactionLogEntry.status == TxStatus.PENDING,
            )
        )
        invoice_status.refresh(session, {t for t in touched if t is not None}, None, now=now)
        notify(
            session,
            f"reorg:{chain_id}:{base}:{cursor.last_block}:{now.isoformat()}",
            "reorg",
            {"chain_id": chain_id, "fork_base": base, "cursor_from": cursor.last_block,
             "cursor_to": target, "entries_detached": detached},
            now,
        )  # fmt: skip
        cursor.last_block = target
        cursor.last_block_hash = None
        summary.reorgs += 1
        summary.detached += detached

    def _scan(self, summary: RunSummary, progress: Progress | None) -> watchlist.Watchlist:
        """Scans from the cursor to the head; returns the deposit addresses it watched."""
        chain_id = summary.chain_id
        head = self.chain.head()
        summary.head = head
        with self._sessions() as session:
            watched = watchlist.load(session, chain_id, self.clock(), self.config.monitoring_window)
        first: int | None = None
        while True:
            with self._sessions() as session:
                cursor = self._lock(session)
                start = cursor.last_block + 1
                summary.cursor = cursor.last_block
                if start > head:
                    return watched
                first = start if first is None else first
                end = min(start + self.config.batch_blocks - 1, head)
                try:
                    found = scan_range(
                        self.chain,
                        chain_id,
                        watched,
                        self.config.escrow,
                        start,
                        end,
                        self.config.addresses_per_query,
                        self.config.eth_at_every_address,
                    )
                except ReorgDuringScanError:
                    session.rollback()
                    self._check_reorg(summary)
                    continue
                now = self.clock()
                summary.detached += observations.detach_removed(
                    session, chain_id, found.removed, now
                )
                seen = found.observations + escrow_events.observe(
                    session, chain_id, found.escrow_events
                )
                summary.recorded += observations.record(
                    session, chain_id, seen, now, self.config.pending_deadline
                )
                outgoing.adopt(session, found.escrow_logs, now)
                eth_balances.record_sweeps(session, chain_id, found.eth_sweeps)
                self._remember(session, chain_id, found.blocks.values(), end)
                cursor.last_block = end
                cursor.last_block_hash = found.blocks[end].hash
                _clear_stall(cursor)
                dropped = observations.drop_unseen(
                    session, chain_id, end, self.config.rescan_margin, now
                )
                summary.dropped += len(dropped)
                invoice_status.refresh(
                    session,
                    {o.invoice_id for o in seen if o.invoice_id is not None} | dropped,
                    datetime.fromtimestamp(found.blocks[end].timestamp, UTC),
                    late={o.invoice_id for o in found.observations if o.late and o.invoice_id},
                    now=now,
                )
                session.commit()
                summary.ranges += 1
                summary.cursor = end
            if progress is not None:
                progress(end - first + 1, head - first + 1)

    def _remember(
        self, session: Session, chain_id: int, blocks: Iterable[BlockRef], end: int
    ) -> None:
        rows = [
            {"chain_id": chain_id, "number": b.number, "hash": b.hash,
             "range_end": b.number == end, "seen_at": self.clock()}
            for b in blocks
        ]  # fmt: skip
        if not rows:
            return
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(TrackedBlock)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["chain_id", "number"],
                set_={
                    "hash": statement.excluded.hash,
                    "range_end": or_(TrackedBlock.range_end, statement.excluded.range_end),
                },
            ),
            rows,
        )

    def _check_eth_balances(self, summary: RunSummary, eth: list[watchlist.WatchedInvoice]) -> None:
        """Once the scan has reached the head: ETH deposit addresses holding more than the
        log explains are flagged for staff."""
        if not eth:
            return
        with self._sessions() as session:
            cursor = self._lock(session)
            if cursor.last_block < summary.head:
                return
            summary.unexplained = eth_balances.flag_unexplained(
                session, self.chain, summary.chain_id, eth, cursor.last_block, self.clock()
            )
            session.commit()

    def _receipts(self, summary: RunSummary) -> None:
        with self._sessions() as session:
            self._lock(session)
            result = outgoing.check_receipts(
                session,
                self.chain,
                summary.chain_id,
                self.config.escrow,
                self.decoder,
                self.clock(),
            )
            session.commit()
        summary.anchored += result.anchored
        summary.failed += result.failed

    def _confirm(self, summary: RunSummary) -> bool:
        """Confirms what is ready; True when a moved block rewound the cursor."""
        rule = self.config.rule_for(summary.chain_id)
        with self._sessions() as session:
            cursor = self._lock(session)
            head = self.chain.head()
            bound = confirmable_bound(self.chain, rule, head)
            now = self.clock()
            result = confirm_ready(session, self.chain, summary.chain_id, bound, now)
            invoice_status.refresh(session, result.invoices or set(), None, now=now)
            rewound = result.lowest_mismatch is not None
            if result.lowest_mismatch is not None:
                self._rewind(session, cursor, result.lowest_mismatch - 1, summary)
            session.commit()
        summary.confirmed += result.confirmed
        summary.detached += result.detached
        return rewound

    def _expire(self, summary: RunSummary) -> None:
        with self._sessions() as session:
            cursor = self._lock(session)
            now = self.clock()
            cancelled, touched = cancel_overdue(session, now)
            chain_now = None
            if cursor.last_block >= 0:
                block = self.chain.blocks([cursor.last_block]).get(cursor.last_block)
                chain_now = None if block is None else datetime.fromtimestamp(block.timestamp, UTC)
            if chain_now is not None:
                touched |= set(invoice_status.overdue(session, chain_now))
            invoice_status.refresh(session, touched, chain_now, now=now)
            session.commit()
        summary.cancelled += cancelled

    def _prune(self) -> None:
        """Keeps the newest stored hashes only: older blocks are past any reorg we check.
        The pass got here, so the node answered everything: no stall any more."""
        keep = 4 * self.config.reorg_window
        chain_id = self.chain.chain_id()
        with self._sessions() as session:
            _clear_stall(self._lock(session))
            floor = session.scalar(
                select(TrackedBlock.number)
                .where(TrackedBlock.chain_id == chain_id)
                .order_by(TrackedBlock.number.desc())
                .offset(keep)
                .limit(1)
            )
            if floor is not None:
                session.execute(
                    delete(TrackedBlock).where(
                        TrackedBlock.chain_id == chain_id, TrackedBlock.number <= floor
                    )
                )
            session.commit()


def _clear_stall(cursor: TrackerCursor) -> None:
    cursor.stalled_since = None
    cursor.stall_call = None
    cursor.stall_error = None
    cursor.stall_attempts = 0
