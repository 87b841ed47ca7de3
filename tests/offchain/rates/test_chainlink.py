from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from coinpos.rates.chainlink import rate_from_round
from coinpos.rates.errors import FeedError


def test_rate_from_round__scales_the_answer_by_the_feed_decimals() -> None:
    rate, observed = rate_from_round(312_345_678_901, 8, 1_763_900_000)
    assert rate == Decimal("3123.45678901")
    assert observed == datetime.fromtimestamp(1_763_900_000, UTC)


@pytest.mark.parametrize(
    ("answer", "decimals", "updated_at", "message"),
    [
        (0, 8, 1, "not a positive price"),
        (-5, 8, 1, "not a positive price"),
        (1, 8, 0, "incomplete"),
        (1, 19, 1, "decimals"),
    ],
)
def test_rate_from_round__refuses_unusable_rounds(
    answer: int, decimals: int, updated_at: int, message: str
) -> None:
    with pytest.raises(FeedError, match=message):
        rate_from_round(answer, decimals, updated_at)
