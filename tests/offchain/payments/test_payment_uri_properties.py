"""Property tests: whatever the builder writes, the parser reads back to the same request."""

from __future__ import annotations

from decimal import Decimal, localcontext

from eth_utils import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from coinpos.payment_uri import (
    MAX_UINT256,
    EtherPaymentRequest,
    TokenPaymentRequest,
    checksum_address,
    ether_payment_uri,
    format_payment_uri,
    parse_number,
    parse_payment_uri,
    token_payment_uri,
)

hex_addresses = st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())
uint256 = st.integers(min_value=0, max_value=MAX_UINT256)
amounts = st.none() | uint256 | st.integers(min_value=0, max_value=10**24)
chain_ids = (
    st.none()
    | st.integers(min_value=1, max_value=MAX_UINT256)
    | st.sampled_from([1, 5, 137, 8453, 31337, 11155111])
)
gas = st.none() | st.integers(min_value=0, max_value=30_000_000)
gas_prices = st.none() | uint256


@given(hex_addresses)
def test_checksum_address__agrees_with_eth_utils(address):
    expected = to_checksum_address(address)

    assert checksum_address(address) == expected
    assert checksum_address(address.upper().replace("0X", "0x")) == expected
    assert checksum_address(expected) == expected


@given(hex_addresses, amounts, chain_ids, gas, gas_prices)
def test_ether_request__round_trips(recipient, value, chain_id, gas_limit, gas_price):
    uri = ether_payment_uri(
        recipient, value, chain_id=chain_id, gas_limit=gas_limit, gas_price=gas_price
    )

    assert parse_payment_uri(uri) == EtherPaymentRequest(
        recipient=to_checksum_address(recipient),
        value=value,
        chain_id=chain_id,
        gas_limit=gas_limit,
        gas_price=gas_price,
    )
    assert format_payment_uri(parse_payment_uri(uri)) == uri
    _, _, query = uri.partition("?")
    assert all(part.split("=")[1].isdigit() for part in query.split("&") if part)


@given(hex_addresses, hex_addresses, amounts, chain_ids, gas, gas_prices)
def test_token_request__round_trips(token, recipient, amount, chain_id, gas_limit, gas_price):
    uri = token_payment_uri(
        token, recipient, amount, chain_id=chain_id, gas_limit=gas_limit, gas_price=gas_price
    )
    request = parse_payment_uri(uri)

    assert request == TokenPaymentRequest(
        token=to_checksum_address(token),
        recipient=to_checksum_address(recipient),
        amount=amount,
        chain_id=chain_id,
        gas_limit=gas_limit,
        gas_price=gas_price,
    )
    assert format_payment_uri(request) == uri


@given(uint256)
def test_parse_number__plain_integer__is_itself(n):
    assert parse_number(str(n)) == n


@given(uint256, st.integers(min_value=0, max_value=40), st.sampled_from(["e", "E"]))
def test_parse_number__scientific_notation__is_exact(n, exponent, e):
    digits = str(n).rjust(exponent + 1, "0")
    mantissa = f"{digits[:-exponent]}.{digits[-exponent:]}" if exponent else digits
    text = f"{mantissa}{e}{exponent}"

    assert parse_number(text) == n
    with localcontext() as context:
        context.prec = 200
        assert parse_number(text) == int(Decimal(text))


@given(hex_addresses, uint256, st.integers(min_value=1, max_value=18))
def test_ether_request__written_by_a_wallet_in_scientific_notation__reads_back(
    recipient, n, exponent
):
    digits = str(n).rjust(exponent + 1, "0")
    uri = f"ethereum:{recipient}?value={digits[:-exponent]}.{digits[-exponent:]}e{exponent}"
    request = parse_payment_uri(uri)

    assert isinstance(request, EtherPaymentRequest)
    assert request.value == n
    assert format_payment_uri(request) == f"ethereum:{to_checksum_address(recipient)}?value={n}"
