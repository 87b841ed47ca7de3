"""The database as a FastAPI dependency: one unit of work per request."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy import Engine

from coinpos.unit_of_work import UnitOfWork


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    """A unit of work for the route; whatever it did not commit is rolled back."""
    with UnitOfWork(engine_of(request)) as uow:
        yield uow
