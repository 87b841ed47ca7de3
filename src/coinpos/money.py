"""Exact money: coin amounts as integer base units, fiat as Decimal with a named rounding rule.

Rounding rules:
- CONVERSION_ROUNDING (ROUND_HALF_EVEN, banker's rounding) for fiat values shown in
  reports and for settlement fees: unbiased over many conversions.
- PAYOUT_ROUNDING (ROUND_DOWN, toward zero) for the value of coins being settled: a payout
  never exceeds the exact value of the coins, so rounding can never create money.

Fiat places follow ISO 4217 minor units (KRW and JPY have none, USD and EUR two, …).
Floats are refused everywhere.

Coin amounts are printed by one function, `format_amount`: whole coins with the symbol
(`12.50 CPE`), exact, or base units on request (`1250 base units of CPE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Context, Decimal, InvalidOperation, localcontext
from typing import Final

from coinpos.errors import CoinposError

CONVERSION_ROUNDING: Final = ROUND_HALF_EVEN
PAYOUT_ROUNDING: Final = ROUND_DOWN

FIAT_PLACES: Final[dict[str, int]] = {
    "KRW": 0,
    "JPY": 0,
    "VND": 0,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CNY": 2,
    "SGD": 2,
    "HKD": 2,
    "CHF": 2,
    "BHD": 3,
    "KWD": 3,
}

BPS_DENOMINATOR: Final = 10_000

# Whole-coin amounts show at least this many places (when the coin has them), so 12.5 CPE
# reads as a price, `12.50 CPE`; more only where the amount has more significant digits.
MIN_SHOWN_PLACES: Final = 2

# Enough digits for a uint256 amount times a 38-digit rate, so no intermediate rounds.
_EXACT = Context(prec=160)


class MoneyError(CoinposError):
    """An amount, currency or rate that cannot be used as money."""


class UnknownCurrencyError(MoneyError):
    def __init__(self, fiat: str) -> None:
        known = ", ".join(sorted(FIAT_PLACES))
        super().__init__(f"unknown fiat currency {fiat!r} (known: {known})")


def fiat_places(fiat: str) -> int:
    try:
        return FIAT_PLACES[fiat]
    except KeyError:
        raise UnknownCurrencyError(fiat) from None


def parse_decimal(text: str, what: str = "amount") -> Decimal:
    """Parses a user-written decimal; refuses NaN, infinities, exponents and negatives."""
    from coinpos.validation import ascii_number

    try:
        cleaned = ascii_number(text, what).strip().replace("_", "")
    except CoinposError as exc:
        raise MoneyError(str(exc)) from None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyError(f"{what} {text!r} is not a number") from None
    if not value.is_finite() or "e" in cleaned.lower():
        raise MoneyError(f"{what} {text!r} is not a plain decimal number")
    if value < 0:
        raise MoneyError(f"{what} {text!r} is negative")
    return value


def fits_places(value: Decimal, places: int) -> bool:
    """Whether `value` has at most `places` fractional digits (no rounding needed)."""
    with localcontext(_EXACT):
        return value == value.quantize(Decimal(1).scaleb(-places))


def to_base_units(amount: Decimal, decimals: int) -> int:
    """Whole-coin Decimal → integer base units; refuses anything finer than one base unit."""
    if not isinstance(amount, Decimal):
        raise MoneyError(f"coin amounts must be Decimal, got {type(amount).__name__}")
    with localcontext(_EXACT):
        scaled = amount.scaleb(decimals)
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{amount} has more than {decimals} decimal places")
        return int(scaled)


def from_base_units(units: int, decimals: int) -> Decimal:
    """Integer base units → whole-coin Decimal, exactly."""
    with localcontext(_EXACT):
        return Decimal(units).scaleb(-decimals)


def format_amount(units: int, decimals: int, symbol: str, *, base_units: bool = False) -> str:
    """A coin amount as printed everywhere: `12.50 CPE`, or `1250 base units of CPE`.

    The whole-coin figure is exact (never rounded, never a float): every significant
    digit of `units` is kept, padded to at least two places where the coin has them.
    """
    if isinstance(units, bool) or not isinstance(units, int):
        raise MoneyError(f"coin amounts are integer base units, got {type(units).__name__}")
    if base_units:
        return f"{units} base units of {symbol}"
    with localcontext(_EXACT):
        whole = from_base_units(units, decimals)
        exponent = whole.normalize().as_tuple().exponent
        significant = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        places = max(min(MIN_SHOWN_PLACES, decimals), significant)
        return f"{whole.quantize(Decimal(1).scaleb(-places)):f} {symbol}"


@dataclass(frozen=True)
class CoinAmount:
    """An amount of a coin, for output: printed by `format_amount`, and as the exact
    whole-coin decimal in JSON."""

    units: int
    decimals: int
    symbol: str

    @property
    def whole(self) -> Decimal:
        return from_base_units(self.units, self.decimals)

    def __str__(self) -> str:
        return format_amount(self.units, self.decimals, self.symbol)


def quantize_fiat(amount: Decimal, fiat: str, rounding: str) -> Decimal:
    """Rounds to the currency's minor unit with the rule given (CONVERSION_ or PAYOUT_ROUNDING)."""
    with localcontext(_EXACT):
        return amount.quantize(Decimal(1).scaleb(-fiat_places(fiat)), rounding=rounding)


def exact_fiat_value(units: int, decimals: int, rate: Decimal) -> Decimal:
    """The unrounded fiat value of `units` base units at `rate` fiat per whole coin."""
    with localcontext(_EXACT):
        return from_base_units(units, decimals) * rate


def fiat_value(units: int, decimals: int, rate: Decimal, fiat: str) -> Decimal:
    """Fiat value for display and reports, rounded with CONVERSION_ROUNDING."""
    return quantize_fiat(exact_fiat_value(units, decimals, rate), fiat, CONVERSION_ROUNDING)


def payout_breakdown(
    units: int, decimals: int, rate: Decimal, fiat: str, fee_bps: int
) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, fee, net) fiat for settling `units` at `rate` with a fee of `fee_bps`.

    gross = exact value rounded with PAYOUT_ROUNDING (the coins are never valued up);
    fee   = gross × fee_bps / 10 000 rounded with CONVERSION_ROUNDING;
    net   = gross − fee, so the three always add up in the currency's minor unit.
    """
    if not 0 <= fee_bps <= BPS_DENOMINATOR:
        raise MoneyError(f"fee must be between 0 and {BPS_DENOMINATOR} bps, got {fee_bps}")
    gross = quantize_fiat(exact_fiat_value(units, decimals, rate), fiat, PAYOUT_ROUNDING)
    with localcontext(_EXACT):
        exact_fee = gross * fee_bps / BPS_DENOMINATOR
    fee = quantize_fiat(exact_fee, fiat, CONVERSION_ROUNDING)
    return gross, fee, gross - fee
