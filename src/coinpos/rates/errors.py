"""Errors of the rates service."""

from __future__ import annotations

from datetime import datetime, timedelta

from coinpos.errors import CoinposError


class RateError(CoinposError):
    """A rate that cannot be recorded or used."""


class RateNotFoundError(RateError):
    def __init__(self, coin: str, fiat: str) -> None:
        super().__init__(f"no {coin}/{fiat} rate has been recorded")


class StaleRateError(RateError):
    """The newest rate is older than the maximum age; money must not move at it."""

    def __init__(
        self, coin: str, fiat: str, observed_at: datetime, age: timedelta, max_age: timedelta
    ) -> None:
        super().__init__(
            f"the newest {coin}/{fiat} rate is stale: observed {observed_at.isoformat()}, "
            f"{int(age.total_seconds())} s old, maximum {int(max_age.total_seconds())} s"
        )
        self.observed_at = observed_at
        self.age = age
        self.max_age = max_age


class RateImportError(RateError):
    """A CSV import with at least one bad row; nothing from the file is recorded."""

    def __init__(self, problems: list[str]) -> None:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"rate file refused, nothing imported: {shown}{more}")
        self.problems = problems


class FeedError(RateError):
    """A price feed round that cannot be used as a rate."""
