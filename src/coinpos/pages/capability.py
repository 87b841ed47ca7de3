"""The checkout's capability: `/i/{token}` where the token is the invoice hash and a MAC of
it under the server's checkout key, base64url (64 characters).

The invoice hash alone is no secret (it is on chain, on receipts and in webhooks), so a URL
of it would let anyone who reads the chain open every invoice's page and stream. The MAC
makes the URL unguessable: without the key no token of another invoice can be made, and a
wrong one is answered as an unknown invoice. No table is needed: the token carries the hash.

The key comes from `COINPOS_CHECKOUT_SECRET` (`coinpos serve` makes one for its workers
when it is unset, so links then last as long as the server); every server of one exchange
must share it for a link to open on any of them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from fastapi import FastAPI

_LABEL = b"coinpos checkout v1\x00"
_MAC_BYTES = 16
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{64}$"
_TOKEN = re.compile(TOKEN_PATTERN)


def checkout_key(app: FastAPI) -> bytes:
    key: bytes = app.state.checkout_key
    return key


def _mac(key: bytes, digest: bytes) -> bytes:
    return hmac.new(key, _LABEL + digest, hashlib.sha256).digest()[:_MAC_BYTES]


def checkout_token(key: bytes, invoice_hash: str) -> str:
    digest = bytes.fromhex(invoice_hash.removeprefix("0x"))
    return base64.urlsafe_b64encode(digest + _mac(key, digest)).decode("ascii")


def invoice_hash_of(key: bytes, token: str) -> str | None:
    """The invoice hash the token was made for; None for a token this key did not make."""
    if not _TOKEN.match(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError):
        return None
    digest, mac = raw[:32], raw[32:]
    if len(digest) != 32 or not hmac.compare_digest(mac, _mac(key, digest)):
        return None
    return "0x" + digest.hex()


def checkout_path(key: bytes, invoice_hash: str) -> str:
    return f"/i/{checkout_token(key, invoice_hash)}"
