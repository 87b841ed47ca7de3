from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coinpos.money import PAYOUT_ROUNDING as DOWN
from coinpos.money import (
    CoinAmount,
    MoneyError,
    UnknownCurrencyError,
    fiat_value,
    format_amount,
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


@pytest.mark.parametrize(
    ("units", "decimals", "shown"),
    [
        (1250, 2, "12.50 CPE"),
        (1200, 2, "12.00 CPE"),
        (0, 2, "0.00 CPE"),
        (5, 0, "5 CPE"),
        (7, 1, "0.7 CPE"),
        (10**18, 18, "1.00 CPE"),
        (125 * 10**16, 18, "1.25 CPE"),
        (1, 18, "0.000000000000000001 CPE"),
        (12_345_678_901_234_567_891, 18, "12.345678901234567891 CPE"),
        (2**256 - 1, 18, f"{str(2**256 - 1)[:-18]}.{str(2**256 - 1)[-18:]} CPE"),
    ],
)
def test_format_amount__whole_coins_with_the_symbol__exact(
    units: int, decimals: int, shown: str
) -> None:
    assert format_amount(units, decimals, "CPE") == shown


def test_format_amount__base_units_on_request() -> None:
    assert format_amount(1250, 2, "CPE", base_units=True) == "1250 base units of CPE"


@pytest.mark.parametrize("bad", [12.5, Decimal("12.5"), "1250", True])
def test_format_amount__anything_but_integer_base_units__refused(bad: object) -> None:
    with pytest.raises(MoneyError, match="integer base units"):
        format_amount(bad, 2, "CPE")  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=2**256 - 1), st.integers(min_value=0, max_value=36))
def test_format_amount__reads_back_to_the_same_base_units(units: int, decimals: int) -> None:
    number, symbol = format_amount(units, decimals, "CPE").split(" ")

    assert symbol == "CPE"
    assert to_base_units(parse_decimal(number), decimals) == units


def test_coin_amount__prints_whole_coins__json_keeps_the_exact_decimal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from coinpos.cli_support import emit

    row = {"amount": CoinAmount(1250, 2, "CPE"), "amount_base_units": 1250}
    emit([row], True, "t", single=True)
    assert json.loads(capsys.readouterr().out) == {"amount": "12.50", "amount_base_units": 1250}
    emit([row], False, "t", single=True)
    assert "12.50 CPE" in capsys.readouterr().out
