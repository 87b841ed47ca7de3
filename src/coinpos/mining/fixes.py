"""GPS fixes and claim requests as the app sends them, parsed strictly from JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from eth_utils.address import is_address, to_checksum_address

from coinpos.mining.errors import InvalidFixError
from coinpos.mining.geo import check_point

_E6 = Decimal(1_000_000)


@dataclass(frozen=True)
class Fix:
    """One position report: micro-degrees, accuracy radius in metres, unix time, mock flag."""

    lat_e6: int
    lon_e6: int
    accuracy_m: float
    timestamp: int
    mock: bool = False

    def __post_init__(self) -> None:
        try:
            check_point(self.lat_e6, self.lon_e6)
        except ValueError as exc:
            raise InvalidFixError(str(exc)) from None
        if not self.accuracy_m >= 0:
            raise InvalidFixError(f"accuracy must be a non-negative number, got {self.accuracy_m}")

    @classmethod
    def from_degrees(
        cls, lat: str | Decimal, lon: str | Decimal, accuracy_m: float, timestamp: int,
        mock: bool = False,
    ) -> Fix:  # fmt: skip
        """Rounds decimal degrees half-even to micro-degrees, without going through a float."""
        return cls(_to_e6(lat, "lat"), _to_e6(lon, "lon"), float(accuracy_m), timestamp, mock)


@dataclass(frozen=True)
class ClaimRequest:
    """A user's request to claim a campaign with the fix they took at the place."""

    campaign_id: int
    recipient: str
    action_id: bytes
    fix: Fix

    @classmethod
    def from_json(cls, raw: Any) -> ClaimRequest:
        """Parses `{"campaign_id", "recipient", "action_id", "lat", "lon", "accuracy_m",
        "timestamp", "mock"}`; lat/lon in decimal degrees (numbers or strings), timestamp in
        unix seconds or ISO 8601 with a zone, action_id as 0x-hex bytes32."""
        if not isinstance(raw, dict):
            raise InvalidFixError("a claim request must be a JSON object")
        missing = {"campaign_id", "recipient", "action_id", "lat", "lon", "accuracy_m",
                   "timestamp"} - raw.keys()  # fmt: skip
        if missing:
            raise InvalidFixError(f"claim request lacks {', '.join(sorted(missing))}")
        campaign_id = raw["campaign_id"]
        if not isinstance(campaign_id, int) or isinstance(campaign_id, bool) or campaign_id < 1:
            raise InvalidFixError(f"campaign_id must be a positive integer, got {campaign_id!r}")
        mock = raw.get("mock", False)
        if not isinstance(mock, bool):
            raise InvalidFixError(f"mock must be true or false, got {mock!r}")
        accuracy = raw["accuracy_m"]
        if not isinstance(accuracy, int | float) or isinstance(accuracy, bool):
            raise InvalidFixError(f"accuracy_m must be a number, got {accuracy!r}")
        fix = Fix.from_degrees(
            _decimal(raw["lat"], "lat"), _decimal(raw["lon"], "lon"), float(accuracy),
            parse_timestamp(raw["timestamp"]), mock,
        )  # fmt: skip
        recipient = parse_address(raw["recipient"])
        return cls(campaign_id, recipient, parse_bytes32(raw["action_id"]), fix)

    @classmethod
    def from_file(cls, path: Path) -> ClaimRequest:
        try:
            raw = json.loads(path.read_text())
        except OSError as exc:
            raise InvalidFixError(f"cannot read {path}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            problem = f"{exc.msg} at line {exc.lineno}"
            raise InvalidFixError(f"{path} is not valid JSON: {problem}") from None
        return cls.from_json(raw)


def parse_address(value: Any) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise InvalidFixError(f"not an address: {value!r}")
    return str(to_checksum_address(value))


def parse_bytes32(value: Any) -> bytes:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise InvalidFixError(f"not a 0x-prefixed bytes32: {value!r}")


def parse_timestamp(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return int(parsed.timestamp())
    raise InvalidFixError(f"timestamp must be unix seconds or ISO 8601 with a zone: {value!r}")


def _decimal(value: Any, name: str) -> Decimal:
    wrong_type = isinstance(value, bool) or not isinstance(value, int | float | str)
    if wrong_type or not str(value).isascii():
        raise InvalidFixError(f"{name} must be a number of degrees, got {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise InvalidFixError(f"{name} must be a number of degrees, got {value!r}") from None
    if not result.is_finite():
        raise InvalidFixError(f"{name} must be finite, got {value!r}")
    return result


def _to_e6(value: str | Decimal, name: str) -> int:
    degrees = value if isinstance(value, Decimal) else _decimal(value, name)
    return int((degrees * _E6).to_integral_value())
