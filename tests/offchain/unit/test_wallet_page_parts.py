"""The wallet page's parts that need no browser: the rate chart's geometry, the position
the form takes, and how amounts and distances are written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from coinpos.pages.ratechart import HEIGHT, TOP, WIDTH, rate_chart
from coinpos.pages.wallet import PositionError, degrees_e6
from coinpos.pages.wallet_view import distance_text, fiat_text

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_rate_chart__a_point_per_rate_in_time_order_the_highest_at_the_top() -> None:
    rates = [
        (T0 + timedelta(hours=h), Decimal(r)) for h, r in ((2, "990"), (0, "1010"), (1, "1000.5"))
    ]
    chart = rate_chart("CPW", "KRW", rates)
    assert chart is not None
    assert [p.rate for p in chart.points] == [
        "1,010.0",
        "1,000.5",
        "990.0",
    ]  # the places the rates have
    xs = [Decimal(p.x) for p in chart.points]
    ys = [Decimal(p.y) for p in chart.points]
    assert xs == sorted(xs) and xs[0] == chart.left and xs[-1] == WIDTH - 20
    assert ys[0] == TOP and ys[-1] == chart.bottom  # 1010 on top, 990 at the bottom
    assert chart.line == " ".join(f"{p.x},{p.y}" for p in chart.points)
    assert [t.label for t in chart.y_ticks] == ["990.0", "1,000.0", "1,010.0"]
    assert "3 recorded rates of CPW in KRW" in chart.description
    assert "latest 990.0 KRW" in chart.description


def test_rate_chart__one_rate_or_a_flat_line_sits_in_the_middle_and_none_draws_nothing() -> None:
    assert rate_chart("CPW", "KRW", []) is None
    [only] = rate_chart("CPW", "KRW", [(T0, Decimal("1000"))]).points  # type: ignore[union-attr]
    middle = Decimal(TOP) + Decimal(HEIGHT - TOP - 62) / 2
    assert Decimal(only.y) == middle.quantize(Decimal("0.1"))
    flat = rate_chart("CPW", "KRW", [(T0, Decimal(5)), (T0 + timedelta(hours=1), Decimal(5))])
    assert flat is not None and {Decimal(p.y) for p in flat.points} == {
        middle.quantize(Decimal("0.1"))
    }


def test_rate_chart__longer_rate_labels_get_a_wider_margin() -> None:
    small = rate_chart("CPW", "KRW", [(T0, Decimal("9"))])
    large = rate_chart("ETH", "KRW", [(T0, Decimal("4500001.5"))])
    assert small is not None and large is not None
    assert large.left > small.left


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("37.4979", 90, 37_497_900),
        ("-126.97796949", 180, -126_977_969),
        (" 0 ", 90, 0),
        ("90", 90, 90_000_000),
    ],
)
def test_degrees_e6__decimal_degrees_to_micro_degrees_rounded_half_even(
    text: str, limit: int, expected: int
) -> None:
    assert degrees_e6(text, "latitude", limit) == expected


@pytest.mark.parametrize("text", ["", "abc", "1e3", "NaN", "inf", "90.000001", "٣٧", "-91"])
def test_degrees_e6__anything_but_degrees_in_range_is_refused(text: str) -> None:
    with pytest.raises(PositionError):
        degrees_e6(text, "latitude", 90)


def test_amounts_and_distances_as_the_page_writes_them() -> None:
    assert fiat_text(Decimal("6476012"), "KRW") == "6,476,012 KRW"
    assert fiat_text(Decimal("1234.50"), "USD") == "1,234.50 USD"
    assert [distance_text(m) for m in (0, 999, 1000, 12_345)] == [
        "0 m",
        "999 m",
        "1.0 km",
        "12.3 km",
    ]
