"""The tracker's health and its part of `coinpos status`: its cursor, whether it is stalled
and why, the chain head, and the lag between.

`tracker_health` reads only the database, so `coinpos status` and a server's readiness
check report the same thing whether or not they can reach the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from coinpos.db.models import TrackerCursor
from coinpos.tracker.errors import TrackerError


@dataclass(frozen=True)
class TrackerHealth:
    cursor: str
    chain_id: int
    last_block: int
    stalled_since: datetime | None
    stall_call: str | None
    stall_error: str | None
    stall_attempts: int

    @property
    def stalled(self) -> bool:
        return self.stalled_since is not None

    def describe(self) -> str:
        if self.stalled_since is None:
            return "running"
        return (
            f"tracker stalled since {self.stalled_since.isoformat(timespec='seconds')} : "
            f"{self.stall_error} ({self.stall_attempts} failed "
            f"attempt{'s' if self.stall_attempts != 1 else ''})"
        )


def tracker_health(session: Session, chain_id: int | None = None) -> list[TrackerHealth]:
    """Every tracker cursor (of one chain, if given), with its stall if it has one."""
    query = select(TrackerCursor).order_by(TrackerCursor.name)
    if chain_id is not None:
        query = query.where(TrackerCursor.chain_id == chain_id)
    return [
        TrackerHealth(
            c.name,
            c.chain_id,
            c.last_block,
            c.stalled_since,
            c.stall_call,
            c.stall_error,
            c.stall_attempts,
        )
        for c in session.scalars(query)
    ]


def tracker_status(engine: Engine, rpc_url: str | None) -> dict[str, Any]:
    with Session(engine) as session:
        health = tracker_health(session)
    status: dict[str, Any] = {
        "tracker_cursor": ", ".join(f"{h.cursor}={h.last_block}" for h in health) or "none",
        "tracker": "; ".join(f"{h.cursor}: {h.describe()}" for h in health) or "never run",
    }
    if rpc_url is None:
        return status
    from coinpos.tracker.chain import ChainReader
    from coinpos.tracker.rpc import JsonRpcClient

    chain = ChainReader(JsonRpcClient(rpc_url, timeout=5))
    try:
        chain_id, head = chain.chain_id(), chain.head()
    except TrackerError as exc:
        status["chain"] = f"unavailable: {exc}"
        return status
    status["chain_id"] = chain_id
    status["chain_head"] = head
    own = [h for h in health if h.chain_id == chain_id]
    status["tracker_lag_blocks"] = head - min(h.last_block for h in own) if own else None
    return status
