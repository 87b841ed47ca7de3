"""`/healthz` (the process answers) and `/readyz` (it can serve: database reachable, schema
at head, chain reachable and the tracker close behind it). Neither needs credentials nor
shows anything secret.
"""

from __future__ import annotations

from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select, text

from coinpos.db.migrate import MIGRATIONS_DIR
from coinpos.db.models import TrackerCursor
from coinpos.server.database import engine_of
from coinpos.server.settings import ServerSettings

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Check(BaseModel):
    name: str
    ok: bool
    detail: str


class Readiness(BaseModel):
    status: str
    checks: list[Check]


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


def _database_checks(request: Request) -> tuple[list[Check], int | None]:
    """Reachability, schema, and the tracker's last block (for the lag)."""
    engine = engine_of(request)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
            applied = set(MigrationContext.configure(conn).get_current_heads())
            missing = sorted(set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()) - applied)
            cursor = [] if missing else conn.scalars(select(TrackerCursor.last_block)).all()
    except Exception as exc:
        first = str(exc).splitlines()[0][:200]
        return [Check(name="database", ok=False, detail=f"unreachable: {first}")], None
    schema = Check(
        name="migrations",
        ok=not missing,
        detail="at head" if not missing else f"missing {', '.join(missing)}",
    )
    last = max(cursor) if cursor else None
    return [Check(name="database", ok=True, detail="reachable"), schema], last


def _chain_checks(settings: ServerSettings, tracked: int | None) -> list[Check]:
    if settings.rpc_url is None:
        return []
    from coinpos.tracker.errors import TrackerError
    from coinpos.tracker.rpc import JsonRpcClient

    client = JsonRpcClient(settings.rpc_url, timeout=3.0)
    try:
        head = int(client.call("eth_blockNumber"), 16)
    except TrackerError as exc:
        return [Check(name="chain", ok=False, detail=f"unreachable: {exc}")]
    finally:
        client.close()
    checks = [Check(name="chain", ok=True, detail=f"head block {head}")]
    if tracked is None:
        checks.append(Check(name="tracker", ok=False, detail="the tracker has not run"))
    else:
        lag = max(0, head - tracked)
        checks.append(
            Check(
                name="tracker",
                ok=lag <= settings.tracker_lag_limit,
                detail=f"{lag} blocks behind (limit {settings.tracker_lag_limit})",
            )
        )
    return checks


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Some check failed"}},
)
def readyz(request: Request) -> Any:
    settings: ServerSettings = request.app.state.settings
    checks, tracked = _database_checks(request)
    if all(check.ok for check in checks):
        checks += _chain_checks(settings, tracked)
    ready = all(check.ok for check in checks)
    body = Readiness(status="ready" if ready else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
