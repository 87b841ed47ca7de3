"""Checks for values that come from outside: addresses, bytes32 ids, codes, dates.

Each raises InvalidInputError with a message that names the field and the value.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from coinpos.errors import CoinposError

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_BYTES32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
_SYMBOL = re.compile(r"^[A-Z0-9]{1,16}$")


class InvalidInputError(CoinposError):
    """A value from a user or a file that cannot be accepted."""


def address(value: str, field: str = "address") -> str:
    """An EVM address; mixed case must carry a valid EIP-55 checksum. Returns it checksummed."""
    from eth_utils.address import is_checksum_address, to_checksum_address

    if not _ADDRESS.match(value):
        raise InvalidInputError(f"{field} {value!r} is not a 0x-prefixed 20-byte hex address")
    hex_part = value[2:]
    mixed = hex_part != hex_part.lower() and hex_part != hex_part.upper()
    if mixed and not is_checksum_address(value):
        raise InvalidInputError(f"{field} {value!r} has a wrong EIP-55 checksum")
    return str(to_checksum_address(value))


def bytes32(value: str, field: str) -> str:
    """A 0x-prefixed bytes32, returned in lowercase."""
    if not _BYTES32.match(value):
        raise InvalidInputError(f"{field} {value!r} is not a 0x-prefixed 32-byte hex value")
    return value.lower()


def coin_symbol(value: str) -> str:
    if not _SYMBOL.match(value):
        raise InvalidInputError(f"coin {value!r} is not an upper-case symbol such as ETH or CPW")
    return value


def iso_date(value: str, field: str = "date") -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{field} {value!r} is not a date (YYYY-MM-DD)") from None


def aware_datetime(value: str, field: str = "time") -> datetime:
    """An ISO 8601 timestamp; one without a zone is refused rather than guessed."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{field} {value!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise InvalidInputError(f"{field} {value!r} has no time zone (add Z or +00:00)")
    return parsed.astimezone(UTC)


def ascii_number(value: str, field: str) -> str:
    """Refuses a number not written in ASCII: Python's int() and Decimal() read any Unicode
    digit (full-width １２, Arabic-Indic ١٢), which a staff keyboard can type by accident."""
    if not value.isascii():
        raise InvalidInputError(f"{field} {value!r} is not written in ASCII digits 0-9")
    return value


def ascii_digits(value: str) -> bool:
    """Whether `value` is a non-empty run of ASCII digits 0-9 (str.isdigit takes any script)."""
    return value.isascii() and value.isdigit()


def date_or_datetime(value: str, field: str = "time") -> datetime:
    """A date (its start, UTC) or an ISO 8601 timestamp with a zone, in ASCII digits."""
    ascii_number(value, field)
    if len(value.strip()) == 10:
        day = iso_date(value.strip(), field)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return aware_datetime(value, field)


def non_empty(value: str, field: str, max_length: int) -> str:
    stripped = value.strip()
    if not stripped:
        raise InvalidInputError(f"{field} must not be empty")
    if len(stripped) > max_length:
        raise InvalidInputError(f"{field} is longer than {max_length} characters")
    return stripped
