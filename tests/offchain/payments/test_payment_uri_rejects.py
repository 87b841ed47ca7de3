"""Malformed payment URIs raise PaymentUriError, and the message says what is wrong."""

from __future__ import annotations

import pytest

from coinpos.payment_uri import PaymentUriError, parse_payment_uri

SHOP = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
TOKEN = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
BAD_CHECKSUM = "0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed"

MALFORMED = [
    # scheme and prefix
    (f"bitcoin:{SHOP}?value=1", "wrong scheme"),
    (f"ethereum/{SHOP}", "wrong scheme"),
    (f"{SHOP}?value=1", "wrong scheme"),
    ("", "wrong scheme"),
    (f"ethereum:foo-{SHOP}", "unsupported prefix 'foo-'"),
    (f"ethereum:{SHOP}?value=1#memo", "fragments"),
    (f"ethereum:{SHOP}?value=1 ", "whitespace"),
    (f"ethereum:{SHOP}?value=1\n", "whitespace"),
    (f"ethereum:{SHOP}?value=\u0661", "non-ASCII"),
    # target address
    ("ethereum:", "missing target address"),
    ("ethereum:?value=1", "missing target address"),
    ("ethereum:@1?value=1", "missing target address"),
    (f"ethereum:{SHOP[:-1]}?value=1", "bad target address .*40 hex digits"),
    (f"ethereum:{SHOP}0?value=1", "bad target address .*40 hex digits"),
    (f"ethereum:{SHOP[:-1]}g?value=1", "bad target address .*40 hex digits"),
    (f"ethereum:{SHOP[2:]}?value=1", "bad target address .*or an ENS name"),
    (f"ethereum:{BAD_CHECKSUM}?value=1", "bad checksum in target address"),
    ("ethereum:Alice.eth?value=1", "bad target address 'Alice.eth'"),
    ("ethereum:eth?value=1", "bad target address 'eth'"),
    ("ethereum:-bad.eth?value=1", "bad target address '-bad.eth'"),
    # chain id
    (f"ethereum:{SHOP}@?value=1", "bad chain id ''"),
    (f"ethereum:{SHOP}@0x1?value=1", "bad chain id '0x1'"),
    (f"ethereum:{SHOP}@-1?value=1", "bad chain id '-1'"),
    (f"ethereum:{SHOP}@1.5?value=1", "bad chain id '1.5'"),
    (f"ethereum:{SHOP}@0?value=1", "bad chain id 0"),
    (f"ethereum:{SHOP}@1@2?value=1", "bad chain id '1@2'"),
    (f"ethereum:{SHOP}@{2**256}?value=1", "bad chain id"),
    (f"ethereum:{SHOP}@{'9' * 5000}?value=1", "bad chain id 99999"),
    (f"ethereum:{SHOP}?value={'9' * 5000}", "too large"),
    (f"ethereum:{SHOP}?value=1{'0' * 5000}e1", "too large"),
    # amounts
    (f"ethereum:{SHOP}?value=abc", "non-numeric value 'abc'"),
    (f"ethereum:{SHOP}?value=1,5e18", "non-numeric value"),
    (f"ethereum:{SHOP}?value=-1", "negative value '-1'"),
    (f"ethereum:{SHOP}?value=1.5", "value '1.5' is not an integer"),
    (f"ethereum:{SHOP}?value=2.0145e3", "is not an integer"),
    (f"ethereum:{SHOP}?value=1e78", "value '1e78' is too large"),
    (f"ethereum:{SHOP}?value=1&gasPrice=-2", "negative gasPrice"),
    (f"ethereum:{SHOP}?gas=lots", "non-numeric gasLimit 'lots'"),
    (f"ethereum:{TOKEN}/transfer?address={SHOP}&uint256=-5", "negative uint256"),
    (f"ethereum:{TOKEN}/transfer?address={SHOP}&uint256=0.5", "uint256 '0.5' is not an integer"),
    # parameters
    (f"ethereum:{SHOP}?", "empty query"),
    (f"ethereum:{SHOP}?value", "bad parameter 'value': expected key=value"),
    (f"ethereum:{SHOP}?=1", "bad parameter '=1'"),
    (f"ethereum:{SHOP}?value=1&&gas=2", "bad parameter ''"),
    (f"ethereum:{SHOP}?value=", "empty parameter 'value'"),
    (f"ethereum:{SHOP}?value=1&value=2", "duplicate parameter 'value'"),
    (f"ethereum:{SHOP}?value=1&value=1", "duplicate parameter 'value'"),
    (f"ethereum:{SHOP}?gas=1&gasLimit=1", "duplicate parameter 'gasLimit'.*synonyms"),
    (f"ethereum:{SHOP}?gasPrice=1&gasPrice=2", "duplicate parameter 'gasPrice'"),
    (f"ethereum:{SHOP}?amount=1", "unknown parameter 'amount' in an ether payment"),
    (f"ethereum:{SHOP}?address={TOKEN}", "unknown parameter 'address' in an ether payment"),
    (f"ethereum:{SHOP}?Value=1", "unknown parameter 'Value'"),
    # functions
    (f"ethereum:{TOKEN}/approve?address={SHOP}&uint256=1", "unknown function 'approve'"),
    (f"ethereum:{TOKEN}/?address={SHOP}&uint256=1", "unknown function ''"),
    (f"ethereum:{TOKEN}/transfer/x?address={SHOP}", "unknown function 'transfer/x'"),
    (f"ethereum:{TOKEN}/Transfer?address={SHOP}", "unknown function 'Transfer'"),
    (f"ethereum:{TOKEN}/transfer?uint256=1", "missing parameter 'address'"),
    (f"ethereum:{TOKEN}/transfer", "missing parameter 'address'"),
    (f"ethereum:{TOKEN}/transfer?address={SHOP}&uint256=1&value=1", "'value' is not allowed"),
    (f"ethereum:{TOKEN}/transfer?address={SHOP}&uint256=1&uint256=2", "duplicate parameter"),
    (f"ethereum:{TOKEN}/transfer?address={SHOP}&address={TOKEN}", "duplicate parameter 'address'"),
    (f"ethereum:{TOKEN}/transfer?address={SHOP}&bytes=0x00", "unknown parameter 'bytes'"),
    (f"ethereum:{TOKEN}/transfer?address=0x1234&uint256=1", "bad recipient address '0x1234'"),
    (f"ethereum:{TOKEN}/transfer?address={BAD_CHECKSUM}", "bad checksum in recipient address"),
    (f"ethereum:{TOKEN}/transfer?address=not%20an%20address", "bad recipient address"),
]


@pytest.mark.parametrize(("uri", "message"), MALFORMED)
def test_parse__malformed_uri__raises_payment_uri_error_saying_what_is_wrong(uri, message):
    with pytest.raises(PaymentUriError, match=message):
        parse_payment_uri(uri)


def test_parse__non_string__is_rejected():
    with pytest.raises(PaymentUriError, match="expected a string"):
        parse_payment_uri(b"ethereum:" + SHOP.encode())  # type: ignore[arg-type]
