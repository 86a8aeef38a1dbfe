"""Webhooks on the open internet (issue 14): every special-purpose range
refused by an explicit list, not by `is_global` alone (which passes
fec0::/10 on Python 3.11); https to port 443 only in production unless the
settings allow more, checked when an endpoint is saved and at delivery; the
attempt log says the address is not allowed without the internal address a
name resolved to; no payload names a page that is not public."""

import ipaddress
import json
import logging

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import reverse
from wagtail.models import PageViewRestriction

from changes import signals as changes
from tests.builders import make_contact, make_page, make_site_root, stream
from tests.cms.test_settings import production_env, run
from tests.tasks.support import page_body
from tests.webhooks import conftest as webhook_fixtures
from tests.webhooks.conftest import make_endpoint
from tests.webhooks.test_address_guard import FakeResolver
from tests.webhooks.test_admin import create, user_client
from webhooks import addresses, delivery, events
from webhooks.models import Attempt, Delivery, Endpoint

listener = webhook_fixtures.listener  # a real HTTP server on 127.0.0.1

PRODUCTION = {"WEBHOOKS_ALLOW_HTTP": False, "WEBHOOKS_ALLOWED_PORTS": [443]}

# Special-purpose addresses that Python 3.11's `is_global` calls global.
GLOBAL_BY_THE_STANDARD_LIBRARY = [
    "fec0::1",  # site-local, deprecated (RFC 3879)
    "fec0:1234::5",
    "feff:ffff::1",
    "192.0.0.9",  # PCP anycast
    "192.0.0.10",  # TURN anycast
    "192.31.196.1",  # AS112
    "192.52.193.1",  # AMT
    "192.88.99.1",  # 6to4 relay anycast
    "192.175.48.1",  # AS112 direct delegation
    "2002:808:808::1",  # 6to4
    "2620:4f:8000::1",  # AS112 direct delegation
    "3fff::1",  # documentation (RFC 9637)
    "5f00::1",  # SRv6 SIDs (RFC 9602)
    "64:ff9b:1::1",  # local-use IPv4/IPv6 translation
    "64:ff9b::808:808",  # NAT64 of a public address
    "100:0:0:1::1",  # dummy prefix (RFC 9780)
    "::7f00:1",  # IPv4-compatible, deprecated
    "4000::1",  # outside the global unicast space
]
OTHER_SPECIAL = [
    "0.1.2.3",
    "10.0.0.1",
    "100.64.0.1",
    "127.0.0.1",
    "169.254.169.254",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",
    "192.168.0.1",
    "198.19.255.255",
    "198.51.100.1",
    "203.0.113.1",
    "224.0.0.251",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::ffff:8.8.8.8",
    "100::1",
    "2001::1",  # Teredo
    "2001:1::1",  # PCP anycast
    "2001:2::1",
    "2001:3::1",  # AMT
    "2001:4:112::1",  # AS112
    "2001:20::1",  # ORCHIDv2
    "2001:30::1",  # drone remote ID
    "2001:db8::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "ff02::1",
]


@pytest.mark.parametrize("address", GLOBAL_BY_THE_STANDARD_LIBRARY)
def test_ranges_is_global_lets_through_are_refused(address):
    ip = ipaddress.ip_address(address)
    assert ip.is_global  # why the explicit list is needed
    assert addresses.refusal(ip)
    assert address not in addresses.refusal(ip)


@pytest.mark.parametrize("address", OTHER_SPECIAL)
def test_every_other_special_range_is_refused(address):
    assert addresses.refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert addresses.refusal(ipaddress.ip_address(address)) is None


@pytest.fixture
def manager(db):
    return user_client("integrator", "add_endpoint", "change_endpoint", "delete_endpoint")


@override_settings(**PRODUCTION)
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://frontend.example.org/hook", "Adressen måste börja med https://."),
        ("https://frontend.example.org:8443/hook", "Porten 8443 är inte tillåten (tillåtna: 443)."),
        ("https://frontend.example.org:80/hook", "Porten 80 är inte tillåten"),
        ("https://[fec0::1]/hook", "Adressen är inte tillåten: den är en platslokal adress."),
    ],
)
def test_production_refuses_http_and_other_ports_when_saved(manager, url, message):
    client, _user = manager
    response = create(client, url=url)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Endpoint.objects.exists()


@override_settings(**PRODUCTION)
def test_production_takes_https_on_443(manager):
    client, _user = manager
    for url in ("https://frontend.example.org/hook", "https://frontend.example.org:443/b"):
        assert create(client, url=url).status_code == 302
    assert Endpoint.objects.count() == 2


@override_settings(WEBHOOKS_ALLOW_HTTP=True, WEBHOOKS_ALLOWED_PORTS=[443, 8443])
def test_the_settings_allow_more(manager):
    client, _user = manager
    assert create(client, url="http://frontend.example.org:8443/hook").status_code == 302


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:{port}/hook", "https://127.0.0.1:{port}/hook"],
    ids=["http", "another port"],
)
def test_a_delivery_to_what_production_does_not_allow_sends_nothing(db, listener, url):
    """Saved while the settings allowed it; refused at delivery once they do not."""
    port = listener.url.split(":")[2].split("/")[0]
    make_endpoint(url.format(port=port))
    (delivery_id,) = events.record(changes.PAGE_PUBLISHED, [])
    with override_settings(**PRODUCTION, WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=True):
        assert delivery.deliver(delivery_id) == delivery.RETRY
    assert listener.received == []
    (attempt,) = Attempt.objects.filter(delivery_id=delivery_id)
    assert attempt.error.startswith("Adressen är inte tillåten:")


def test_the_log_says_not_allowed_without_the_internal_address(db, monkeypatch, caplog):
    FakeResolver(monkeypatch, {"hook.example": ["93.184.215.14", "10.9.8.7"]})
    endpoint = make_endpoint("https://hook.example/hook")
    (delivery_id,) = events.record(changes.PAGE_PUBLISHED, [])

    with caplog.at_level(logging.INFO):
        assert delivery.deliver(delivery_id) == delivery.RETRY

    (attempt,) = Attempt.objects.filter(delivery_id=delivery_id)
    refused = "Adressen är inte tillåten: hook.example pekar inte på en publik adress."
    assert attempt.error == refused
    row = Delivery.objects.get(pk=delivery_id)
    assert "10.9.8.7" not in row.last_error
    assert "inte tillåten" in caplog.text and "10.9.8.7" not in caplog.text

    client, _user = user_client("integrator", "change_endpoint")
    shown = client.get(reverse("webhooks_endpoint:deliveries", args=[endpoint.pk]))
    assert shown.status_code == 200
    html = shown.content.decode()
    assert "Adressen är inte tillåten" in html and "10.9.8.7" not in html


def test_production_settings_allow_https_on_443_only_unless_told(tmp_path):
    code = (
        "import json; from django.conf import settings as s;"
        "print(json.dumps([s.WEBHOOKS_ALLOW_HTTP, s.WEBHOOKS_ALLOWED_PORTS]))"
    )

    def loaded(**env):
        result = run(production_env(tmp_path, **env), "-c", code)
        return result.returncode, result.stdout.strip().splitlines()[-1:] or result.stderr

    assert loaded() == (0, ["[false, [443]]"])
    assert loaded(WEBHOOKS_ALLOW_HTTP="true") == (0, ["[true, [80, 443]]"])
    assert loaded(WEBHOOKS_ALLOWED_PORTS="443,8443") == (0, ["[false, [443, 8443]]"])
    status, _ = loaded(WEBHOOKS_ALLOWED_PORTS="443,https")
    assert status != 0


def restrict(page):
    return PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)


def named_pages(kind=None):
    rows = Delivery.objects.all() if kind is None else Delivery.objects.filter(event_type=kind)
    return [[page["id"] for page in json.loads(row.payload)["data"]["pages"]] for row in rows]


def test_no_payload_names_a_page_that_is_not_public(transactional_db):
    # Each step commits, as in the admin: one change set each (the changes of
    # one transaction would be one set, merging their pages).
    make_endpoint("https://frontend.example.org/hook")
    home = make_site_root()
    public = make_page(title="Öppen", parent=home)
    section = make_page(title="Personalsidor", parent=home)
    restrict(section)
    Delivery.objects.all().delete()

    # Published under a restricted section: nothing public changed.
    hidden = make_page(title="Omorganisation", parent=section)
    assert Delivery.objects.count() == 0
    section.save_revision().publish()
    assert Delivery.objects.count() == 0

    # A contact on a public and on a restricted page: only the public one.
    kim = make_contact(name="Kim Kontaktsson", email="kim@example.org")
    for page in (public, hidden):
        page.body = stream(page_body(kim))
        page.save_revision().publish()
    Delivery.objects.all().delete()
    kim.save_revision().publish()
    assert named_pages(changes.CONTACT_PUBLISHED) == [[public.pk]]

    # Unpublished or made private: never named, whatever it was before.
    Delivery.objects.all().delete()
    hidden.unpublish()
    restrict(public)
    assert named_pages() and all(pages == [] for pages in named_pages())
    assert {row.event_type for row in Delivery.objects.all()} == {changes.PAGE_UNPUBLISHED}
    group_only = PageViewRestriction.objects.create(
        page=make_page(title="Grupp", parent=home), restriction_type=PageViewRestriction.GROUPS
    )
    group_only.groups.add(Group.objects.create(name="Personal"))
    Delivery.objects.all().delete()
    group_only.page.save_revision().publish()
    assert Delivery.objects.count() == 0
