"""The on-chain distance against the haversine reference, and against its Python mirror."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coinpos.mining.geo import destination_e6, distance_metres, haversine_metres

MAX_RELATIVE_ERROR = 0.005
ROUNDING_METRES = 0.5
LAT_LIMIT_E6 = 75_000_000


@st.composite
def nearby_pairs(draw: Any) -> tuple[int, int, int, int]:
    """A point at |lat| ≤ 75° and another up to 50 km from it, also at |lat| ≤ 75°."""
    lat = draw(st.integers(-LAT_LIMIT_E6, LAT_LIMIT_E6))
    lon = draw(st.integers(-180_000_000, 180_000_000))
    bearing = draw(st.floats(0, 360, exclude_max=True))
    metres = draw(st.floats(0, 50_000))
    lat2, lon2 = destination_e6(lat, lon, bearing, metres)
    lat2 = max(-LAT_LIMIT_E6, min(LAT_LIMIT_E6, lat2))
    return lat, lon, lat2, lon2


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pair=nearby_pairs())
def test_distance__within_half_a_percent_of_haversine_up_to_50km(geo: Any, pair: Any) -> None:
    on_chain = geo.distanceMetres(*pair)
    reference = haversine_metres(*pair)
    assert on_chain == distance_metres(*pair)
    if reference <= 50_000:
        assert abs(on_chain - reference) <= MAX_RELATIVE_ERROR * reference + ROUNDING_METRES


def test_distance__measured_worst_relative_error_is_far_below_the_bound() -> None:
    """A denser sweep through the exact Python mirror (equal to the contract, tested above)."""
    worst = 0.0
    for lat in range(-LAT_LIMIT_E6, LAT_LIMIT_E6 + 1, 2_500_000):
        for bearing in range(0, 360, 15):
            for metres in (1_000, 10_000, 25_000, 50_000):
                lat2, lon2 = destination_e6(lat, 10_000_000, bearing, metres)
                if abs(lat2) > LAT_LIMIT_E6:
                    continue
                reference = haversine_metres(lat, 10_000_000, lat2, lon2)
                error = abs(distance_metres(lat, 10_000_000, lat2, lon2) - reference)
                worst = max(worst, (error - ROUNDING_METRES) / reference)
    assert worst < 1e-4


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0, 0, 0), None, 0),
        ((0, 179_999_000, 0, -179_999_000), (0, 0, 0, 2_000), 222),
        ((37_566_535, 126_977_969, 37_566_535, 126_977_969), None, 0),
    ],
)
def test_distance__zero_and_antimeridian_wrap(
    geo: Any, a: tuple[int, ...], b: tuple[int, ...] | None, expected: int
) -> None:
    assert geo.distanceMetres(*a) == expected
    if b is not None:
        assert geo.distanceMetres(*b) == expected


def test_distance__symmetric(geo: Any) -> None:
    p, q = (48_858_370, 2_294_481), (48_853_000, 2_349_900)
    assert geo.distanceMetres(*p, *q) == geo.distanceMetres(*q, *p)
    assert abs(geo.distanceMetres(*p, *q) - haversine_metres(*p, *q)) <= 1


def test_distance__invalid_points__revert(geo: Any) -> None:
    with ape.reverts(geo.GeoDistanceInvalidLatitude, latE6=-90_000_001):
        geo.distanceMetres(0, 0, -90_000_001, 0)
    with ape.reverts(geo.GeoDistanceInvalidLongitude, lonE6=180_000_001):
        geo.distanceMetres(0, 180_000_001, 0, 0)
