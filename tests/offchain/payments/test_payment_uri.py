"""Building and parsing EIP-681 URIs: the forms we issue, and the ones we accept."""

from __future__ import annotations

from decimal import Decimal

import pytest

from coinpos.errors import CoinposError
from coinpos.payment_uri import (
    MAX_UINT256,
    EnsName,
    EtherPaymentRequest,
    PaymentUriError,
    TokenPaymentRequest,
    checksum_address,
    ether_payment_uri,
    format_payment_uri,
    parse_number,
    parse_payment_uri,
    token_payment_uri,
)

SHOP = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55's first test vector
TOKEN = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
ONE_ETHER = 10**18


def test_ether_payment_uri__writes_value_in_wei_and_chain_id():
    uri = ether_payment_uri(SHOP.lower(), 2_014 * 10**15, chain_id=11155111)

    assert uri == f"ethereum:{SHOP}@11155111?value=2014000000000000000"


def test_ether_payment_uri__writes_gas_parameters_as_gas_limit_and_gas_price():
    uri = ether_payment_uri(SHOP, ONE_ETHER, gas_limit=21_000, gas_price=3 * 10**9)

    assert uri == f"ethereum:{SHOP}?value={ONE_ETHER}&gasLimit=21000&gasPrice=3000000000"


def test_ether_payment_uri__without_amount__leaves_it_to_the_payer():
    assert ether_payment_uri(SHOP, None) == f"ethereum:{SHOP}"
    assert parse_payment_uri(f"ethereum:{SHOP}") == EtherPaymentRequest(recipient=SHOP)


def test_token_payment_uri__writes_transfer_with_address_and_uint256():
    uri = token_payment_uri(TOKEN.upper().replace("0X", "0x"), SHOP, 1_250, chain_id=31337)

    assert uri == f"ethereum:{TOKEN}@31337/transfer?address={SHOP}&uint256=1250"


def test_token_payment_uri__round_trips_through_the_parser():
    uri = token_payment_uri(TOKEN, SHOP, MAX_UINT256, chain_id=1, gas_limit=65_000)

    assert parse_payment_uri(uri) == TokenPaymentRequest(
        token=TOKEN, recipient=SHOP, amount=MAX_UINT256, chain_id=1, gas_limit=65_000
    )


def test_parse__pay_prefix_and_gas_synonym__are_accepted():
    request = parse_payment_uri(f"ethereum:pay-{SHOP}@5?value=1e18&gas=21000&gasPrice=2e9")

    assert request == EtherPaymentRequest(
        recipient=SHOP, value=ONE_ETHER, chain_id=5, gas_limit=21_000, gas_price=2 * 10**9
    )


def test_parse__scheme_is_case_insensitive():
    assert parse_payment_uri(f"ETHEREUM:{SHOP}?value=1") == EtherPaymentRequest(SHOP, value=1)


def test_parse__percent_encoded_parameter_values_are_decoded():
    request = parse_payment_uri(f"ethereum:{TOKEN}/transfer?address={SHOP}&uint256=%31%30")

    assert isinstance(request, TokenPaymentRequest)
    assert request.amount == 10


def test_parse__parameter_order_does_not_matter():
    first = parse_payment_uri(f"ethereum:{TOKEN}/transfer?uint256=7&address={SHOP}")
    second = parse_payment_uri(f"ethereum:{TOKEN}/transfer?address={SHOP}&uint256=7")

    assert first == second


def test_parse__ens_recipient__is_kept_as_an_unresolved_name():
    request = parse_payment_uri("ethereum:coffee-shop.eth@1?value=5e15")

    assert request == EtherPaymentRequest(
        recipient=EnsName("coffee-shop.eth"), value=5 * 10**15, chain_id=1
    )


def test_parse__ens_token_and_recipient__are_kept_as_names():
    request = parse_payment_uri("ethereum:usdc.tokens.eth/transfer?address=alice.eth&uint256=1")

    assert isinstance(request, TokenPaymentRequest)
    assert request.token == EnsName("usdc.tokens.eth")
    assert request.recipient == EnsName("alice.eth")


def test_format__request_with_an_ens_name__is_refused():
    request = parse_payment_uri("ethereum:alice.eth?value=1")

    with pytest.raises(PaymentUriError, match=r"'alice\.eth' is an ENS name"):
        format_payment_uri(request)


def test_builder__ens_name_instead_of_address__is_refused():
    with pytest.raises(PaymentUriError, match=r"bad recipient 'alice\.eth'"):
        ether_payment_uri("alice.eth", 1)


def test_request__stores_addresses_checksummed_whatever_the_input_case():
    request = TokenPaymentRequest(token=TOKEN.lower(), recipient=SHOP.lower(), amount=1)

    assert request.token == TOKEN
    assert request.recipient == SHOP


def test_request__is_frozen():
    request = EtherPaymentRequest(recipient=SHOP, value=1)

    with pytest.raises(AttributeError):
        request.value = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("value", -1, "negative value -1"),
        ("value", MAX_UINT256 + 1, "value .* is too large"),
        ("value", Decimal(1), "bad value Decimal"),
        ("value", True, "bad value True"),
        ("gas_limit", -5, "negative gasLimit"),
        ("gas_price", 1.5, "bad gasPrice 1.5"),
        ("chain_id", 0, "bad chain id 0"),
        ("chain_id", -1, "bad chain id -1"),
    ],
)
def test_request__bad_numbers__are_rejected(field, value, message):
    with pytest.raises(PaymentUriError, match=message):
        EtherPaymentRequest(recipient=SHOP, **{field: value})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("2014000000000000000", 2_014_000_000_000_000_000),
        ("2.014e18", 2_014_000_000_000_000_000),
        ("2.014E18", 2_014_000_000_000_000_000),
        ("+7", 7),
        ("1e0", 1),
        (".5e1", 5),
        ("0.000001e6", 1),
        ("1.000e3", 1_000),
        ("00012", 12),
        ("-0", 0),
        ("0e999999999", 0),
        (
            "1.15792089237316195423570985008687907853269984665640564039457584007913129639935e77",
            MAX_UINT256,
        ),
    ],
)
def test_parse_number__reads_the_eip_grammar_exactly(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "non-numeric"),
        ("abc", "non-numeric"),
        ("1,5", "non-numeric"),
        ("0x10", "non-numeric"),
        ("1e", "non-numeric"),
        ("1e-3", "non-numeric"),
        (".", "non-numeric"),
        ("e5", "non-numeric"),
        ("1.5", "is not an integer"),
        ("1.25e1", "is not an integer"),
        ("1.0", "is not an integer"),
        ("-1", "negative"),
        ("-2.5e18", "negative"),
        ("1e78", "too large"),
        ("1e99999999", "too large"),
        (str(MAX_UINT256 + 1), "too large"),
    ],
)
def test_parse_number__malformed__is_rejected_with_the_reason(text, message):
    with pytest.raises(PaymentUriError, match=message):
        parse_number(text)


def test_checksum_address__accepts_lower_and_upper_case_and_returns_eip55():
    assert checksum_address(SHOP.lower()) == SHOP
    assert checksum_address("0x" + SHOP[2:].upper()) == SHOP


def test_checksum_address__mixed_case_with_one_flipped_letter__is_rejected():
    flipped = SHOP.replace("aAeb", "aaeb")

    with pytest.raises(PaymentUriError, match=f"bad checksum in address '{flipped}'"):
        checksum_address(flipped)


def test_payment_uri_error__is_a_coinpos_error():
    assert issubclass(PaymentUriError, CoinposError)


def test_parse__pay_prefix_is_read_before_an_ens_name():
    assert parse_payment_uri("ethereum:pay-day.eth") == EtherPaymentRequest(EnsName("day.eth"))
    assert parse_payment_uri("ethereum:foo-bar.eth") == EtherPaymentRequest(EnsName("foo-bar.eth"))
