"""Distances between points in micro-degrees (E6).

`distance_metres` is the exact integer mirror of the on-chain `GeoDistance` library, so the
oracle measures a fix the way the contract will and never signs a claim the chain refuses.
`haversine_metres` is the great-circle reference the contract's error bound is stated against.
"""

from __future__ import annotations

import math

EARTH_RADIUS_METRES = 6_371_008.8
MAX_LATITUDE_E6 = 90_000_000
MAX_LONGITUDE_E6 = 180_000_000

_WAD = 10**18
_RADIANS_PER_DEGREE_WAD = 17_453_292_519_943_296
_METRES_PER_DEGREE_E9 = 111_195_080_233_533
_ROOT_TO_METRES_DIVISOR = 10**33


def check_point(lat_e6: int, lon_e6: int) -> None:
    """Raises ValueError unless the point is a valid latitude and longitude in micro-degrees."""
    if not -MAX_LATITUDE_E6 <= lat_e6 <= MAX_LATITUDE_E6:
        raise ValueError(f"latitude {lat_e6} is outside ±{MAX_LATITUDE_E6} micro-degrees")
    if not -MAX_LONGITUDE_E6 <= lon_e6 <= MAX_LONGITUDE_E6:
        raise ValueError(f"longitude {lon_e6} is outside ±{MAX_LONGITUDE_E6} micro-degrees")


def _cos_wad(x: int) -> int:
    x2 = x * x // _WAD
    t = _WAD - x2 // 132
    for divisor in (90, 56, 30, 12, 2):
        t = _WAD - x2 * t // (divisor * _WAD)
    return t


def distance_metres(lat1_e6: int, lon1_e6: int, lat2_e6: int, lon2_e6: int) -> int:
    """The contract's `distanceMetres`: equirectangular about the mean latitude, in integers."""
    check_point(lat1_e6, lon1_e6)
    check_point(lat2_e6, lon2_e6)
    d_lon = lon2_e6 - lon1_e6
    if d_lon > MAX_LONGITUDE_E6:
        d_lon -= 2 * MAX_LONGITUDE_E6
    elif d_lon < -MAX_LONGITUDE_E6:
        d_lon += 2 * MAX_LONGITUDE_E6
    mean_lat_rad = abs(lat1_e6 + lat2_e6) * _RADIANS_PER_DEGREE_WAD // 2_000_000
    x = abs(d_lon) * _cos_wad(mean_lat_rad)
    y = abs(lat2_e6 - lat1_e6) * _WAD
    root = math.isqrt(x * x + y * y)
    return (root * _METRES_PER_DEGREE_E9 + _ROOT_TO_METRES_DIVISOR // 2) // _ROOT_TO_METRES_DIVISOR


def haversine_metres(lat1_e6: int, lon1_e6: int, lat2_e6: int, lon2_e6: int) -> float:
    """Great-circle distance on the sphere of radius EARTH_RADIUS_METRES (the reference)."""
    p1, p2 = math.radians(lat1_e6 / 1e6), math.radians(lat2_e6 / 1e6)
    d_p = p2 - p1
    d_l = math.radians((lon2_e6 - lon1_e6) / 1e6)
    h = math.sin(d_p / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(d_l / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(h)))


def destination_e6(lat_e6: int, lon_e6: int, bearing_deg: float, metres: float) -> tuple[int, int]:
    """The point `metres` from a start along `bearing_deg` (great circle), rounded to E6."""
    p = math.radians(lat_e6 / 1e6)
    lam = math.radians(lon_e6 / 1e6)
    theta = math.radians(bearing_deg)
    delta = metres / EARTH_RADIUS_METRES
    p2 = math.asin(math.sin(p) * math.cos(delta) + math.cos(p) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(p),
        math.cos(delta) - math.sin(p) * math.sin(p2),
    )
    lon = (math.degrees(lam2) + 540.0) % 360.0 - 180.0
    return round(math.degrees(p2) * 1e6), round(lon * 1e6)
