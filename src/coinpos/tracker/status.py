"""The tracker's part of `coinpos status`: its cursor, the chain head, and the lag between."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from coinpos.db.models import TrackerCursor
from coinpos.tracker.errors import TrackerError


def tracker_status(engine: Engine, rpc_url: str | None) -> dict[str, Any]:
    with Session(engine) as session:
        cursors = list(session.scalars(select(TrackerCursor).order_by(TrackerCursor.name)))
    status: dict[str, Any] = {
        "tracker_cursor": ", ".join(f"{c.name}={c.last_block}" for c in cursors) or "none",
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
    own = [c for c in cursors if c.chain_id == chain_id]
    status["tracker_lag_blocks"] = head - min(c.last_block for c in own) if own else None
    return status
