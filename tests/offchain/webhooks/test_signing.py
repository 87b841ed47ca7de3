from __future__ import annotations

import hashlib
import hmac

import pytest

from coinpos.webhooks.signing import (
    SignatureVerificationError,
    signature_header,
    verify_signature,
)

BODY = b'{"id":1,"type":"invoice.settled"}'
NOW = 1_800_000_000


def test_signature__is_hmac_sha256_of_timestamp_dot_body() -> None:
    header = signature_header(["whsec_a"], BODY, NOW)
    expected = hmac.new(b"whsec_a", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"
    verify_signature("whsec_a", header, BODY, now=NOW + 10)


@pytest.mark.parametrize(
    ("secret", "body", "now", "reason"),
    [
        ("whsec_other", BODY, NOW, "no v1 signature matches"),
        ("whsec_a", BODY + b" ", NOW, "no v1 signature matches"),
        ("whsec_a", BODY, NOW + 301, "over 300 s"),
        ("whsec_a", BODY, NOW - 301, "over 300 s"),
    ],
)
def test_verify__refuses_a_wrong_secret_a_changed_body_or_an_old_timestamp(
    secret: str, body: bytes, now: int, reason: str
) -> None:
    header = signature_header(["whsec_a"], BODY, NOW)
    with pytest.raises(SignatureVerificationError, match=reason):
        verify_signature(secret, header, body, now=now)


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", f"t={NOW}", "v1=00", "garbage"])
def test_verify__refuses_a_malformed_header(header: str) -> None:
    with pytest.raises(SignatureVerificationError, match="no t= or no v1="):
        verify_signature("whsec_a", header, BODY, now=NOW)


def test_rotation__two_v1_values__each_secret_verifies() -> None:
    header = signature_header(["whsec_new", "whsec_old"], BODY, NOW)
    assert header.count("v1=") == 2
    verify_signature("whsec_new", header, BODY, now=NOW)
    verify_signature("whsec_old", header, BODY, now=NOW)
    with pytest.raises(SignatureVerificationError):
        verify_signature("whsec_third", header, BODY, now=NOW)
