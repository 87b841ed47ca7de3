"""Chainlink-style price feeds (AggregatorV3Interface).

`rate_from_round` is pure: it turns a round's `(answer, decimals, updated_at)` into an exact
Decimal rate and its observation time. `read_aggregator` is the thin adapter that reads a
feed contract through ape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from coinpos.rates.errors import FeedError

# The rate column keeps 18 places; a feed with more decimals cannot be stored exactly.
MAX_FEED_DECIMALS = 18


@dataclass(frozen=True)
class FeedRound:
    answer: int
    decimals: int
    updated_at: int


def rate_from_round(answer: int, decimals: int, updated_at: int) -> tuple[Decimal, datetime]:
    """The exact rate `answer / 10**decimals` and the round's time (UTC)."""
    if not 0 <= decimals <= MAX_FEED_DECIMALS:
        raise FeedError(f"feed decimals {decimals} outside 0..{MAX_FEED_DECIMALS}")
    if answer <= 0:
        raise FeedError(f"feed answer {answer} is not a positive price")
    if updated_at <= 0:
        # A round with updatedAt 0 has not been answered yet.
        raise FeedError("feed round is incomplete (updatedAt is 0)")
    return Decimal(answer).scaleb(-decimals), datetime.fromtimestamp(updated_at, UTC)


def read_aggregator(feed: Any) -> FeedRound:
    """Reads the latest round of an AggregatorV3Interface contract (an ape contract instance)."""
    from ape.exceptions import ContractLogicError

    try:
        latest = feed.latestRoundData()
        decimals = int(feed.decimals())
    except ContractLogicError as exc:
        raise FeedError(f"price feed {feed.address} refused the read: {exc}") from None
    round_id, answer, _started_at, updated_at, answered_in_round = latest
    if int(answered_in_round) < int(round_id):
        raise FeedError(f"feed round {round_id} was answered in an older round")
    return FeedRound(answer=int(answer), decimals=decimals, updated_at=int(updated_at))
