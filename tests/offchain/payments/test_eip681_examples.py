"""The two requests printed in EIP-681's Semantics section, character for character."""

from __future__ import annotations

import pytest

from coinpos.payment_uri import (
    EtherPaymentRequest,
    PaymentUriError,
    TokenPaymentRequest,
    format_payment_uri,
    parse_payment_uri,
)

# "requesting 2.014 ETH to address 0xfb6916095ca1df60bb79Ce92ce3ea74c37c5d359"
EIP_ETHER_EXAMPLE = "ethereum:0xfb6916095ca1df60bb79Ce92ce3ea74c37c5d359?value=2.014e18"
# "requesting a Unicorn to address 0x8e23ee67d1332ad560396262c48ffbb01f93d052"
EIP_TOKEN_EXAMPLE = (
    "ethereum:0x89205a3a3b2a69de6dbf7f01ed13b2108b2c43e7/transfer"
    "?address=0x8e23ee67d1332ad560396262c48ffbb01f93d052&uint256=1"
)


def test_eip_token_example__parses_to_a_transfer_of_one_unit():
    request = parse_payment_uri(EIP_TOKEN_EXAMPLE)

    assert request == TokenPaymentRequest(
        token="0x89205A3A3b2A69De6Dbf7f01ED13B2108B2c43e7",
        recipient="0x8e23Ee67d1332aD560396262C48ffbB01F93D052",
        amount=1,
    )
    assert isinstance(request, TokenPaymentRequest)
    assert request.token == "0x89205A3A3b2A69De6Dbf7f01ED13B2108B2c43e7"
    assert request.chain_id is None


def test_eip_token_example__round_trips_with_checksummed_addresses():
    written = format_payment_uri(parse_payment_uri(EIP_TOKEN_EXAMPLE))

    assert written == (
        "ethereum:0x89205A3A3b2A69De6Dbf7f01ED13B2108B2c43e7/transfer"
        "?address=0x8e23Ee67d1332aD560396262C48ffbB01F93D052&uint256=1"
    )
    assert written.lower() == EIP_TOKEN_EXAMPLE.lower()
    assert parse_payment_uri(written) == parse_payment_uri(EIP_TOKEN_EXAMPLE)


def test_eip_ether_example__is_rejected_because_its_mixed_case_address_fails_eip55():
    # The EIP prints this address in mixed case, but not in its EIP-55 form
    # (0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359); we treat that as a typo.
    with pytest.raises(PaymentUriError, match="bad checksum") as info:
        parse_payment_uri(EIP_ETHER_EXAMPLE)

    assert "expected 0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359" in str(info.value)


def test_eip_ether_example__with_a_lowercase_address__is_2_014_ether_in_wei():
    request = parse_payment_uri(EIP_ETHER_EXAMPLE.lower())

    assert request == EtherPaymentRequest(
        recipient="0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", value=2_014_000_000_000_000_000
    )


def test_eip_ether_example__with_its_eip55_address__round_trips_as_a_plain_integer():
    fixed = EIP_ETHER_EXAMPLE.replace(
        "0xfb6916095ca1df60bb79Ce92ce3ea74c37c5d359", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
    )
    request = parse_payment_uri(fixed)
    written = format_payment_uri(request)

    assert written == (
        "ethereum:0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359?value=2014000000000000000"
    )
    assert parse_payment_uri(written) == request
