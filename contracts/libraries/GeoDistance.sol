// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title GeoDistance
/// @notice Surface distance between two points given in micro-degrees (E6), in integer math.
/// @dev Method: the equirectangular projection about the mean latitude φm of the two points,
/// `d = R · √((Δλ · cos φm)² + Δφ²)` with Δλ wrapped into [-180°, 180°], R = 6,371,008.8 m (the
/// IUGG mean Earth radius). cos φm comes from its Taylor series to the x¹² term in 18-decimal
/// fixed point (truncation error below 1e-8 for |φm| ≤ 90°), the root from `Math.sqrt` on values
/// scaled by 1e18, and the result is rounded to the nearest metre.
///
/// Bound: against the haversine great-circle distance on the same sphere, the relative error is
/// below 0.5 % (measured worst case about 4e-5) for distances up to 50 km with both points at
/// |latitude| ≤ 75°, plus at most 0.5 m of rounding. Far from those limits (long distances, the
/// poles) the projection degrades and the result must not be relied on.
library GeoDistance {
    /// @notice A latitude outside [-90°, 90°], in micro-degrees.
    error GeoDistanceInvalidLatitude(int256 latE6);

    /// @notice A longitude outside [-180°, 180°], in micro-degrees.
    error GeoDistanceInvalidLongitude(int256 lonE6);

    int256 internal constant MAX_LATITUDE_E6 = 90_000_000;
    int256 internal constant MAX_LONGITUDE_E6 = 180_000_000;

    uint256 private constant WAD = 1e18;
    /// π / 180, scaled by 1e18.
    uint256 private constant RADIANS_PER_DEGREE_WAD = 17_453_292_519_943_296;
    /// R · π / 180 for R = 6,371,008.8 m: metres per degree of arc, scaled by 1e9.
    uint256 private constant METRES_PER_DEGREE_E9 = 111_195_080_233_533;
    /// Scale of the root below (degrees · 1e24) times the scale of METRES_PER_DEGREE_E9.
    uint256 private constant ROOT_TO_METRES_DIVISOR = 1e33;

    /// @notice The distance in metres between (lat1, lon1) and (lat2, lon2), all in micro-degrees.
    /// @dev Requirements: latitudes within ±90°, longitudes within ±180°; otherwise reverts with
    /// {GeoDistanceInvalidLatitude} or {GeoDistanceInvalidLongitude}.
    function distanceMetres(int32 lat1E6, int32 lon1E6, int32 lat2E6, int32 lon2E6)
        internal
        pure
        returns (uint256)
    {
        _checkPoint(lat1E6, lon1E6);
        _checkPoint(lat2E6, lon2E6);

        int256 dLon = int256(lon2E6) - int256(lon1E6);
        if (dLon > MAX_LONGITUDE_E6) dLon -= 2 * MAX_LONGITUDE_E6;
        else if (dLon < -MAX_LONGITUDE_E6) dLon += 2 * MAX_LONGITUDE_E6;

        // |φ1 + φ2| is twice the mean latitude, so halve it while converting to radians.
        uint256 meanLatRad = Math.mulDiv(
            _abs(int256(lat1E6) + int256(lat2E6)), RADIANS_PER_DEGREE_WAD, 2_000_000
        );
        // Both terms are in degrees · 1e24: at most 3.6e26, so their squares sum below 2^256.
        uint256 x = _abs(dLon) * _cos(meanLatRad);
        uint256 y = _abs(int256(lat2E6) - int256(lat1E6)) * WAD;
        uint256 root = Math.sqrt(x * x + y * y);
        return (root * METRES_PER_DEGREE_E9 + ROOT_TO_METRES_DIVISOR / 2) / ROOT_TO_METRES_DIVISOR;
    }

    /// @notice Reverts unless the point is a valid latitude and longitude in micro-degrees.
    function checkPoint(int32 latE6, int32 lonE6) internal pure {
        _checkPoint(latE6, lonE6);
    }

    function _checkPoint(int32 latE6, int32 lonE6) private pure {
        if (latE6 > MAX_LATITUDE_E6 || latE6 < -MAX_LATITUDE_E6) {
            revert GeoDistanceInvalidLatitude(latE6);
        }
        if (lonE6 > MAX_LONGITUDE_E6 || lonE6 < -MAX_LONGITUDE_E6) {
            revert GeoDistanceInvalidLongitude(lonE6);
        }
    }

    /// @dev cos(x) for 0 ≤ x ≤ π/2 (x scaled by 1e18), by Horner's rule on the Taylor series
    /// 1 − x²/2! + x⁴/4! − … + x¹²/12!. Every partial factor stays in [0, 1e18] on that range;
    /// the truncation leaves the result a hair above cos(x), so it never goes negative.
    function _cos(uint256 x) private pure returns (uint256) {
        uint256 x2 = (x * x) / WAD;
        uint256 t = WAD - x2 / 132;
        t = WAD - (x2 * t) / (90 * WAD);
        t = WAD - (x2 * t) / (56 * WAD);
        t = WAD - (x2 * t) / (30 * WAD);
        t = WAD - (x2 * t) / (12 * WAD);
        t = WAD - (x2 * t) / (2 * WAD);
        return t;
    }

    function _abs(int256 v) private pure returns (uint256) {
        return uint256(v >= 0 ? v : -v);
    }
}
