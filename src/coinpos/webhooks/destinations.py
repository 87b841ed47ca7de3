"""Where a webhook may point: http(s) URLs whose host resolves only to global addresses.

A store's webhook URL is chosen by the store, so without this check it could make the
notifier POST to the exchange's own loopback services, its private network or a cloud
metadata address (SSRF). The check runs at registration and again at each delivery (DNS can
change), and the delivery connects to the very address that was checked. Loopback and
private targets need the explicit allowance `--allow-private-webhooks` (tests, a local
receiver).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from coinpos.validation import InvalidInputError

MAX_URL_LENGTH = 2_000


class InvalidWebhookUrlError(InvalidInputError):
    """A webhook URL that is malformed, not http(s), or points at a non-global address."""


@dataclass(frozen=True)
class Destination:
    url: SplitResult
    host: str
    port: int
    # The address to connect to: checked, so a DNS change after the check cannot redirect.
    address: str


def parse_url(url: str) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrlError(f"webhook URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise InvalidWebhookUrlError(f"webhook URL {url!r} is malformed: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidWebhookUrlError(f"webhook URL {url!r} must be http:// or https://")
    if not parts.hostname:
        raise InvalidWebhookUrlError(f"webhook URL {url!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhookUrlError("webhook URL must not carry a user name or password")
    if parts.fragment:
        raise InvalidWebhookUrlError("webhook URL must not have a #fragment")
    return parts


def _is_global(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(url: str, allow_private: bool) -> Destination:
    """The URL's host resolved and checked; raises InvalidWebhookUrlError if refused and
    OSError if the name does not resolve now."""
    parts = parse_url(url)
    host = parts.hostname
    assert host is not None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    if not allow_private:
        refused = sorted({a for a in addresses if not _is_global(a)})
        if refused:
            raise InvalidWebhookUrlError(
                f"webhook host {host!r} resolves to a non-global address ({', '.join(refused)});"
                " start the server and the notifier with --allow-private-webhooks to allow it"
            )
    return Destination(parts, host, port, addresses[0])


def check_url(url: str, allow_private: bool) -> str:
    """Validates a URL at registration; returns it unchanged."""
    try:
        resolve(url, allow_private)
    except OSError as exc:
        raise InvalidWebhookUrlError(f"webhook host of {url!r} does not resolve: {exc}") from None
    return url
