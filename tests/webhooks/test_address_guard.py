"""The SSRF guard: no delivery to an address that is not globally routable
unless the setting allows it; the name looked up once per attempt and the
connection made to the address checked; redirects not followed."""

import ipaddress
import socket

import pytest
from django.test import override_settings

from changes import signals as changes
from webhooks import addresses, delivery, events, transport
from webhooks.addresses import BlockedAddress
from webhooks.models import Attempt, Delivery, DeliveryStatus

from .conftest import make_endpoint

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "0.0.0.0",  # noqa: S104 - an address refused, not bound
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata services
    "100.64.0.1",  # carrier-grade NAT
    "100.127.255.254",
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "198.18.0.1",  # benchmarking
    "::1",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:8.8.8.8",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
]
ALLOWED = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"]


@pytest.mark.parametrize("address", REFUSED)
def test_addresses_that_are_not_globally_routable_are_refused(address):
    assert addresses.refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_pass(address):
    assert addresses.refusal(ipaddress.ip_address(address)) is None


class FakeResolver:
    """socket.getaddrinfo for made-up names; numeric hosts (what urllib3
    connects to) go to the real one. Counts the lookups of each name."""

    def __init__(self, monkeypatch, answers):
        self.answers = answers  # {name: [address, ...] or a list of such lists, one per lookup}
        self.lookups = []
        self.real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return self.real(host, port, *args, **kwargs)
        self.lookups.append(host)
        answer = self.answers[host]
        if answer and isinstance(answer[0], list):
            answer = answer[min(len(self.lookups), len(answer)) - 1]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answer
        ]


def test_localhost_is_refused_although_it_is_a_name(db):
    with pytest.raises(BlockedAddress, match="inte tillåten: localhost pekar inte") as refused:
        addresses.checked_address("localhost", 80)
    assert "127.0.0.1" not in str(refused.value) and "::1" not in str(refused.value)


def test_a_name_with_a_private_address_among_public_ones_is_refused(monkeypatch):
    FakeResolver(monkeypatch, {"mixed.example": ["93.184.215.14", "10.0.0.5"]})
    with pytest.raises(BlockedAddress, match=r"mixed\.example") as refused:
        addresses.checked_address("mixed.example", 443)
    assert "10.0.0.5" not in str(refused.value)


def test_the_setting_allows_private_addresses(monkeypatch):
    FakeResolver(monkeypatch, {"dev.example": ["127.0.0.1"]})
    assert addresses.checked_address("dev.example", 80, allow_private=True) == "127.0.0.1"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:{port}/hook",
        "http://127.0.0.1:{port}/hook",
        "http://[::ffff:127.0.0.1]:{port}/hook",
        "http://cgnat.example:{port}/hook",
        "http://private.example:{port}/hook",
    ],
)
def test_a_delivery_to_a_refused_address_sends_nothing_and_logs_why(db, listener, monkeypatch, url):
    FakeResolver(monkeypatch, {"cgnat.example": ["100.64.3.4"], "private.example": ["10.9.8.7"]})
    port = listener.url.split(":")[2].split("/")[0]
    endpoint = make_endpoint(url.format(port=port))
    (delivery_id,) = events.record(changes.PAGE_PUBLISHED, [])

    assert delivery.deliver(delivery_id) == delivery.RETRY
    assert listener.received == []
    (attempt,) = Attempt.objects.filter(delivery_id=delivery_id)
    assert attempt.error.startswith("Adressen är inte tillåten:")
    assert "10.9.8.7" not in attempt.error and "100.64.3.4" not in attempt.error
    assert attempt.status_code is None
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None


@override_settings(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=True)
def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(
    db, listener, monkeypatch
):
    """DNS rebinding: the name answers 127.0.0.1 (the listener) at the first
    lookup and an internal address after; there is no second lookup."""
    port = listener.url.split(":")[2].split("/")[0]
    resolver = FakeResolver(monkeypatch, {"hook.example": [["127.0.0.1"], ["10.0.0.1"]]})
    endpoint = make_endpoint(f"http://hook.example:{port}/hook?token=abc")
    (delivery_id,) = events.record(changes.PAGE_PUBLISHED, [])

    assert delivery.deliver(delivery_id) == delivery.DELIVERED
    assert resolver.lookups == ["hook.example"]
    (received,) = listener.received
    assert received.headers["Host"] == f"hook.example:{port}"
    assert received.path == "/hook?token=abc"
    assert endpoint.deliveries.get().status == DeliveryStatus.DELIVERED


class FakePool:
    """urllib3's pool, recording what it was made with instead of
    connecting: no test reaches out to a public address."""

    made = []

    def __init__(self, host, **kwargs):
        self.made.append({"host": host, **kwargs})

    def urlopen(self, method, path, headers, **kwargs):
        self.made[-1].update(headers=headers, **kwargs)
        raise OSError("no network in the test")

    def close(self):
        pass


@pytest.fixture
def fake_pools(monkeypatch):
    FakePool.made = []
    monkeypatch.setattr(transport.urllib3, "HTTPConnectionPool", FakePool)
    monkeypatch.setattr(transport.urllib3, "HTTPSConnectionPool", FakePool)
    return FakePool.made


def post(url):
    return transport.post(
        url, b"{}", {}, allow_private=False, connect_timeout=0.2, read_timeout=0.2
    )


def test_every_attempt_looks_the_name_up_again(monkeypatch, fake_pools):
    """A name that pointed at a public address and now points inside is
    refused at the next attempt."""
    resolver = FakeResolver(monkeypatch, {"turns.example": [["93.184.215.14"], ["127.0.0.1"]]})
    with pytest.raises(OSError, match="no network"):
        post("http://turns.example:8080/")
    assert [made["host"] for made in fake_pools] == ["93.184.215.14"]
    with pytest.raises(BlockedAddress):
        post("http://turns.example:8080/")
    assert len(fake_pools) == 1
    assert resolver.lookups == ["turns.example", "turns.example"]


@override_settings(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=True)
def test_a_redirect_is_not_followed(db, listener):
    # The redirect points back at the listener: a followed one would arrive.
    listener.location = listener.url.replace("/hook", "/elsewhere")
    listener.answer(302)
    make_endpoint(listener.url)
    (delivery_id,) = events.record(changes.PAGE_PUBLISHED, [])

    assert delivery.deliver(delivery_id) == delivery.RETRY
    assert [r.path for r in listener.received] == ["/hook"]
    row = Delivery.objects.get(pk=delivery_id)
    assert row.last_status_code == 302 and "Omdirigeringar" in row.last_error


def test_an_https_endpoint_is_connected_by_address_with_the_name_for_sni_and_the_certificate(
    monkeypatch, fake_pools
):
    FakeResolver(monkeypatch, {"secure.example": ["93.184.215.14"]})
    with pytest.raises(OSError, match="no network"):
        post("https://secure.example/hook")
    (made,) = fake_pools
    assert made["host"] == "93.184.215.14" and made["port"] == 443
    assert made["server_hostname"] == made["assert_hostname"] == "secure.example"
    assert made["cert_reqs"] == "CERT_REQUIRED"
    assert made["headers"]["Host"] == "secure.example"
    assert made["redirect"] is False and made["retries"] is False


def test_an_international_name_is_looked_up_and_sent_as_punycode(monkeypatch, fake_pools):
    resolver = FakeResolver(monkeypatch, {"xn--lidkping-q4a.example": ["93.184.215.14"]})
    with pytest.raises(OSError, match="no network"):
        post("http://lidköping.example/hook")
    assert resolver.lookups == ["xn--lidkping-q4a.example"]
    assert fake_pools[0]["headers"]["Host"] == "xn--lidkping-q4a.example"
