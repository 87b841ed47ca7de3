"""The unit of work: one session, committed or rolled back in one place.

Services receive a UnitOfWork, do their reads and writes through `uow.session`, and call
`uow.commit()` when the whole change is valid. Leaving the `with` block without a commit
rolls everything back, so a refused request writes nothing.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from coinpos.db.engine import session_factory


class UnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self._factory = session_factory(engine)
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self._session = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
