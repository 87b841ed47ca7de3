"""A coin's rate history (FIG 5D) as the geometry of an inline SVG line chart, drawn by the
template on the server: no chart library and no script. Coordinates are computed with
Decimal and written to a tenth of a unit of the chart's viewBox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

WIDTH = 480
HEIGHT = 300
LABEL_CHAR = 11  # viewBox units per character of a rate label at the phone's font size
LABEL_GAP = 14  # room for the rate labels
RIGHT = 20
TOP = 40  # room for the rate axis's title, above it
BOTTOM = 62  # room for the time labels and the axis title
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
MAX_LABEL_PLACES = 8
TIME_FORMAT = "%m-%d %H:%M"

_TENTH = Decimal("0.1")
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class ChartPoint:
    x: str
    y: str
    rate: str
    at: str


@dataclass(frozen=True)
class Tick:
    at: str  # the coordinate along its axis
    label: str


@dataclass(frozen=True)
class RateChart:
    coin: str
    fiat: str
    points: list[ChartPoint]
    line: str  # the polyline's points attribute
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    title: str
    description: str
    left: int
    width: int = WIDTH
    height: int = HEIGHT
    top: int = TOP
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM


def _coordinate(value: Decimal) -> str:
    return f"{value.quantize(_TENTH):f}"


def _places(values: Sequence[Decimal]) -> int:
    exponents = [v.normalize().as_tuple().exponent for v in values]
    shown = [-e for e in exponents if isinstance(e, int) and e < 0]
    return min(max(shown, default=0), MAX_LABEL_PLACES)


def rate_label(value: Decimal, places: int) -> str:
    """A rate as the chart writes it: grouped thousands, `places` decimals."""
    return f"{value.quantize(Decimal(1).scaleb(-places)):,f}"


def _when(at: datetime) -> str:
    return at.strftime(TIME_FORMAT)


def rate_chart(coin: str, fiat: str, rates: Sequence[tuple[datetime, Decimal]]) -> RateChart | None:
    """The chart of `rates` ((observed_at, fiat per whole coin), any order); None if empty."""
    if not rates:
        return None
    ordered = sorted(rates, key=lambda r: r[0])
    values = [rate for _, rate in ordered]
    places = _places(values)
    low, high = min(values), max(values)
    if low == high:  # a flat line sits in the middle of the plot
        half = abs(low) / 10 if low else Decimal(1)
        bottom_value, top_value = low - half, high + half
    else:
        bottom_value, top_value = low, high
    middle = (low + high) / 2
    y_values = [low] if low == high else [low, middle, high]
    y_labels = [rate_label(v, places) for v in y_values]
    left = LABEL_GAP + LABEL_CHAR * max(len(label) for label in y_labels)
    plot_width = WIDTH - left - RIGHT
    first, last = ordered[0][0], ordered[-1][0]
    span = (last - first) // _MICROSECOND

    def x_of(at: datetime) -> Decimal:
        if span == 0:
            return Decimal(left) + Decimal(plot_width) / 2
        return Decimal(left) + Decimal(plot_width) * ((at - first) // _MICROSECOND) / span

    def y_of(rate: Decimal) -> Decimal:
        share = (rate - bottom_value) / (top_value - bottom_value)
        return Decimal(TOP) + Decimal(PLOT_HEIGHT) * (1 - share)

    points = [
        ChartPoint(
            _coordinate(x_of(at)), _coordinate(y_of(rate)), rate_label(rate, places), _when(at)
        )
        for at, rate in ordered
    ]
    y_ticks = [
        Tick(_coordinate(y_of(v)), label) for v, label in zip(y_values, y_labels, strict=True)
    ]
    x_times = [first] if span == 0 else [first, first + (last - first) / 2, last]
    x_ticks = [Tick(_coordinate(x_of(at)), _when(at)) for at in x_times]
    latest = ordered[-1][1]
    description = (
        f"{len(ordered)} recorded rate{'s' if len(ordered) != 1 else ''} of {coin} in {fiat}, "
        f"from {_when(first)} to {_when(last)} UTC: lowest {rate_label(low, places)}, "
        f"highest {rate_label(high, places)}, latest {rate_label(latest, places)} {fiat}."
    )
    return RateChart(
        coin=coin,
        fiat=fiat,
        points=points,
        line=" ".join(f"{p.x},{p.y}" for p in points),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        title=f"{coin} rate in {fiat}",
        description=description,
        left=left,
    )
