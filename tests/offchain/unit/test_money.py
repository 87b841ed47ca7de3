from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coinpos.money import PAYOUT_ROUNDING as DOWN
from coinpos.money import (
    MoneyError,
    UnknownCurrencyError,
    fiat_value,
    from_base_units,
    parse_decimal,
    payout_breakdown,
    quantize_fiat,
    to_base_units,
)


def test_fiat_value__rounds_krw_to_whole_won_half_even() -> None:
    # 0.5 ETH at 5 won: 2.5 → 2 (half to even), 1.5 ETH: 7.5 → 8
    assert fiat_value(5 * 10**17, 18, Decimal(5), "KRW") == Decimal(2)
    assert fiat_value(15 * 10**17, 18, Decimal(5), "KRW") == Decimal(8)


def test_fiat_value__keeps_two_places_for_usd() -> None:
    assert fiat_value(12345, 2, Decimal("1.10"), "USD") == Decimal("135.80")


def test_quantize_fiat__payout_rounding_goes_toward_zero() -> None:
    assert quantize_fiat(Decimal("9.999"), "USD", DOWN) == Decimal("9.99")
    assert quantize_fiat(Decimal("1999.9"), "JPY", DOWN) == Decimal(1999)


def test_quantize_fiat__unknown_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrencyError, match="XXX"):
        quantize_fiat(Decimal(1), "XXX", DOWN)


def test_to_base_units__refuses_dust_below_one_unit() -> None:
    assert to_base_units(Decimal("1.25"), 2) == 125
    with pytest.raises(MoneyError, match="more than 2 decimal places"):
        to_base_units(Decimal("1.255"), 2)


def test_to_base_units__refuses_floats() -> None:
    with pytest.raises(MoneyError, match="Decimal"):
        to_base_units(1.25, 2)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=2**256 - 1), st.integers(min_value=0, max_value=36))
def test_base_units__round_trip_exactly_up_to_uint256(units: int, decimals: int) -> None:
    assert to_base_units(from_base_units(units, decimals), decimals) == units


@pytest.mark.parametrize("text", ["-1", "abc", "NaN", "inf", "1e5", ""])
def test_parse_decimal__refuses_what_is_not_a_plain_non_negative_number(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_decimal(text)


def test_payout_breakdown__fee_and_net_add_up_to_gross() -> None:
    # 1.234567 ETH at 3,000,000.5 KRW: exact 3,703,701.6172835 → gross 3,703,701 (down)
    gross, fee, net = payout_breakdown(1_234_567 * 10**12, 18, Decimal("3000000.5"), "KRW", 150)
    assert gross == Decimal(3_703_701)
    assert fee == Decimal(55_556)  # 55,555.515 half-even
    assert net == gross - fee


def test_payout_breakdown__zero_fee_pays_the_gross() -> None:
    gross, fee, net = payout_breakdown(150, 2, Decimal("1.01"), "USD", 0)
    assert (gross, fee, net) == (Decimal("1.51"), Decimal("0.00"), Decimal("1.51"))


def test_payout_breakdown__refuses_a_fee_above_100_percent() -> None:
    with pytest.raises(MoneyError, match="bps"):
        payout_breakdown(1, 0, Decimal(1), "USD", 10_001)


@given(
    st.integers(min_value=0, max_value=10**30),
    st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10**9), places=6),
    st.integers(min_value=0, max_value=10_000),
)
def test_payout_breakdown__never_pays_more_than_the_exact_value(
    units: int, rate: Decimal, fee_bps: int
) -> None:
    gross, fee, net = payout_breakdown(units, 18, rate, "USD", fee_bps)
    exact = from_base_units(units, 18) * rate
    assert net <= gross <= exact
    assert fee >= 0
    assert gross - fee == net
