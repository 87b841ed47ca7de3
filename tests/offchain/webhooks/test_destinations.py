from __future__ import annotations

import pytest

from coinpos.webhooks.destinations import InvalidWebhookUrlError, check_url, resolve


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
    ],
)
def test_non_global_address__is_refused_without_the_allowance(url: str) -> None:
    with pytest.raises(InvalidWebhookUrlError, match="non-global address"):
        check_url(url, allow_private=False)


def test_loopback__is_accepted_with_the_allowance() -> None:
    assert check_url("http://127.0.0.1:9999/hook", allow_private=True)
    assert resolve("http://localhost:9999/x", allow_private=True).address in ("127.0.0.1", "::1")


def test_global_address__is_accepted_without_the_allowance() -> None:
    # The control: the check refuses by address, not every URL.
    assert check_url("https://93.184.215.14/hook", allow_private=False)
    assert check_url("http://[2606:4700::1111]/hook", allow_private=False)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://93.184.215.14/", "must be http"),
        ("javascript:alert(1)", "must be http"),
        ("http:///path", "no host"),
        ("http://user:pw@93.184.215.14/", "user name or password"),
        ("http://93.184.215.14:99999/", "malformed"),
        ("http://93.184.215.14/#frag", "fragment"),
        ("http://no-such-host.invalid/", "does not resolve"),
    ],
)
def test_malformed_url__is_refused_with_its_reason(url: str, reason: str) -> None:
    with pytest.raises(InvalidWebhookUrlError, match=reason):
        check_url(url, allow_private=True)
