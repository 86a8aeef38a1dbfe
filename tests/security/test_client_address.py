"""Who the client is: one rule (security.clients) for every limit, lockout
and the health check's "internal". A client that writes X-Forwarded-For
itself is counted under its own address; behind a trusted proxy, the
right-most hop the proxy did not write is the client; IPv6 per /64."""

import pytest
from django.test import RequestFactory

from security import clients


def request(remote, forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.mark.parametrize(
    "proxies, forwarded, remote, expected",
    [
        # No proxy trusted: the header is anyone's to write.
        ([], "203.0.113.9", "198.51.100.2", "198.51.100.2"),
        # A client reaching the web server directly forges the header in vain.
        (["10.0.0.2"], "203.0.113.9", "198.51.100.2", "198.51.100.2"),
        (["10.0.0.2"], "203.0.113.9", "10.0.0.2", "203.0.113.9"),
        # What the client wrote left of the proxy's own entry is never read.
        (["10.0.0.2"], "6.6.6.6, 203.0.113.9", "10.0.0.2", "203.0.113.9"),
        # Two proxies (a CDN in front of the TLS proxy), by network.
        (["10.0.0.0/24"], "6.6.6.6, 203.0.113.9, 10.0.0.3", "10.0.0.2", "203.0.113.9"),
        # A hop the proxy would never write: only the proxy is known.
        (["10.0.0.2"], "203.0.113.9, not-an-address", "10.0.0.2", "10.0.0.2"),
        # The proxy with no header (its own health check): the proxy.
        (["10.0.0.2"], None, "10.0.0.2", "10.0.0.2"),
        (["2001:db8::/32"], "2001:db8:ffff::1, 2a01:4f8::7", "2001:db8::2", "2a01:4f8::7"),
    ],
)
def test_the_client_address_comes_from_trusted_proxies_only(
    settings, proxies, forwarded, remote, expected
):
    settings.TRUSTED_PROXIES = proxies
    assert clients.client_address(request(remote, forwarded)) == expected


@pytest.mark.parametrize(
    "address, key",
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("", clients.UNKNOWN),
        ("junk", clients.UNKNOWN),
    ],
)
def test_a_limit_counts_ipv4_per_address_and_ipv6_per_64(address, key):
    assert clients.rate_key(request(address)) == key


def test_internal_is_decided_by_the_same_rule(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    settings.INTERNAL_NETWORKS = ["127.0.0.0/8", "192.168.50.0/24"]
    assert clients.is_internal(request("127.0.0.1"))
    # Through the proxy, the client's own address decides, not the proxy's.
    assert not clients.is_internal(request("10.0.0.2", "203.0.113.9"))
    assert clients.is_internal(request("10.0.0.2", "192.168.50.7"))
    # A forged header from outside changes nothing.
    assert not clients.is_internal(request("203.0.113.9", "127.0.0.1"))
