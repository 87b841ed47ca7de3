"""The sales page's period: UTC days, inclusive, today by default."""

from __future__ import annotations

from datetime import date

import pytest

from coinpos.pages.sales_view import Period, period_of
from coinpos.validation import InvalidInputError

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("since", "until", "period"),
    [
        (None, None, Period(TODAY, TODAY)),
        ("", "", Period(TODAY, TODAY)),
        ("2026-12-01", None, Period(date(2026, 12, 1), date(2026, 12, 1))),
        (None, "2026-11-30", Period(date(2026, 11, 30), date(2026, 11, 30))),
        ("2026-11-01", "2026-11-30", Period(date(2026, 11, 1), date(2026, 11, 30))),
    ],
)
def test_period_of__given_days__inclusive_range(
    since: str | None, until: str | None, period: Period
) -> None:
    assert period_of(since, until, today=TODAY) == period


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2026-12-04", "2026-12-01", "starts"),
        ("03/12/2026", None, "YYYY-MM-DD"),
        (None, "tomorrow", "YYYY-MM-DD"),
    ],
)
def test_period_of__reversed_or_malformed__refused(
    since: str | None, until: str | None, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        period_of(since, until, today=TODAY)


def test_period_label__one_day_or_a_range() -> None:
    assert Period(TODAY, TODAY).label == "2026-12-03"
    assert Period(date(2026, 12, 1), TODAY).label == "2026-12-01 to 2026-12-03"
