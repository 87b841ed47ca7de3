"""The off-chain rate adapter reading a real AggregatorV3Interface contract (the mock feed)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from coinpos.rates.chainlink import FeedRound, rate_from_round, read_aggregator
from coinpos.rates.errors import FeedError


def test_read_aggregator__returns_the_latest_round(price_feed: Any, admin: Any, chain: Any) -> None:
    price_feed.setAnswer(300_012_345_678, 0, sender=admin)
    price_feed.setAnswer(312_345_678_901, 0, sender=admin)
    feed_round = read_aggregator(price_feed)
    timestamp = chain.blocks.head.timestamp
    assert feed_round == FeedRound(answer=312_345_678_901, decimals=8, updated_at=timestamp)
    rate, observed = rate_from_round(feed_round.answer, feed_round.decimals, feed_round.updated_at)
    assert rate == Decimal("3123.45678901")
    assert observed == datetime.fromtimestamp(timestamp, UTC)


def test_read_aggregator__feed_without_data__raises_feed_error(price_feed: Any) -> None:
    with pytest.raises(FeedError, match="refused the read"):
        read_aggregator(price_feed)
