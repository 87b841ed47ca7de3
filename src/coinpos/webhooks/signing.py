"""Signing a delivery and checking a signature, Stripe-style.

    Coinpos-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">[,v1=<…>]

One `v1` per secret that currently signs: two during a rotation's grace period, so a
store that has not yet switched to the new secret keeps verifying with the old one. The
timestamp is inside the signed text, so a captured delivery cannot be replayed later than
the receiver's tolerance (300 s by default).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

from coinpos.errors import CoinposError

SIGNATURE_HEADER = "Coinpos-Signature"
DEFAULT_TOLERANCE = 300


class SignatureVerificationError(CoinposError):
    """A delivery whose signature header is missing, malformed, too old or does not match."""


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], body: bytes, timestamp: int) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={_digest(s, timestamp, body)}" for s in secrets)])


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = DEFAULT_TOLERANCE,
    now: int | None = None,
) -> None:
    """Checks a `Coinpos-Signature` header against the raw request body (the exact bytes
    received, before any JSON parsing); raises SignatureVerificationError if it fails."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureVerificationError("the signature header has no t= or no v1= value")
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureVerificationError(
            f"the signature's timestamp is {abs(current - timestamp)} s away, over {tolerance} s"
        )
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureVerificationError("no v1 signature matches the body under this secret")
