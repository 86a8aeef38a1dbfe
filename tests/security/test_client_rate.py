"""The ceiling under every limit (security/flood.py): one client's flood is
refused from the web process's memory before Django builds a request for
it, so before the page cache, a render or the database; other clients,
internal ones and a client that slows down are let through. The guard is
called as gunicorn calls the WSGI application; its clock is its own, moved
by the test."""

import json
from types import SimpleNamespace

import pytest
from django.test import RequestFactory

from security import flood
from security.flood import Buckets, ClientRateGuard


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def limited(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    settings.INTERNAL_NETWORKS = ["127.0.0.0/8"]
    settings.CLIENT_RATE_PER_SECOND = 2
    settings.CLIENT_RATE_BURST = 5
    calls = []

    def application(environ, start_response):
        calls.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [b"sidan"]

    clock = Clock()
    return ClientRateGuard(application, clock=clock), clock, calls


def call(guard, environ):
    """The guard's answer as a response: status_code, headers, content."""
    answered = {}

    def start_response(status, headers):
        answered["status_code"] = int(status.split()[0])
        answered["headers"] = dict(headers)

    content = b"".join(guard(environ, start_response))
    return SimpleNamespace(content=content, **answered)


def get(guard, path="/internationella-samarbeten/", client="203.0.113.9", **headers):
    request = RequestFactory().get(
        path, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client, **headers
    )
    return call(guard, request.environ)


def test_a_flood_is_refused_after_its_burst_and_nothing_behind_runs(limited):
    middleware, _clock, calls = limited
    statuses = [get(middleware).status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    assert len(calls) == 5
    refused = get(middleware)
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["Cache-Control"] == "no-store"
    # The site's own policy headers, which the refusal never meets later.
    assert "default-src 'self'" in refused.headers["Content-Security-Policy"]
    assert "camera=()" in refused.headers["Permissions-Policy"]
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
    assert "För många förfrågningar" in refused.content.decode()
    assert 'lang="sv"' in refused.content.decode()


def test_a_fake_session_cookie_does_not_escape_it(limited):
    # The page cache never answers a request with a session cookie: each is
    # a render. The ceiling counts it all the same.
    middleware, _clock, calls = limited
    statuses = [get(middleware, HTTP_COOKIE=f"sessionid=made-up-{n}").status_code for n in range(8)]
    assert statuses.count(429) == 3 and len(calls) == 5


def test_the_bucket_fills_again_at_its_rate(limited):
    middleware, clock, _calls = limited
    for _ in range(5):
        get(middleware)
    assert get(middleware).status_code == 429
    clock.now += 0.5  # one token at 2 a second
    assert get(middleware).status_code == 200
    assert get(middleware).status_code == 429
    clock.now += 60  # full again, never more than the burst
    assert [get(middleware).status_code for _ in range(6)] == [200] * 5 + [429]


def test_other_clients_and_internal_ones_go_on(limited):
    middleware, _clock, _calls = limited
    for _ in range(6):
        get(middleware)
    assert get(middleware).status_code == 429
    assert get(middleware, client="203.0.113.10").status_code == 200
    # The forged left-hand entry is not the client: the proxy wrote the last.
    assert get(middleware, client="203.0.113.11, 203.0.113.9").status_code == 429
    internal = RequestFactory().get("/healthz/", REMOTE_ADDR="127.0.0.1").environ
    assert all(call(middleware, internal).status_code == 200 for _ in range(20))


def test_ipv6_counts_per_64(limited):
    middleware, _clock, _calls = limited
    for n in range(5):
        assert get(middleware, client=f"2001:db8:1:2::{n + 1}").status_code == 200
    assert get(middleware, client="2001:db8:1:2:ffff::1").status_code == 429
    assert get(middleware, client="2001:db8:1:3::1").status_code == 200


def test_the_api_gets_a_problem_detail(limited):
    middleware, _clock, _calls = limited
    for _ in range(5):
        get(middleware, path="/api/v3/pages/")
    refused = get(middleware, path="/api/v3/pages/")
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    body = json.loads(refused.content)
    assert body["status"] == 429 and body["detail"] == flood.TOO_MANY


def test_switched_off_with_a_rate_of_zero(limited, settings):
    settings.CLIENT_RATE_PER_SECOND = 0

    def application(environ, start_response):
        start_response("200 OK", [])
        return [b"sidan"]

    guard = ClientRateGuard(application)
    assert all(get(guard).status_code == 200 for _ in range(50))


def test_the_buckets_hold_a_bounded_number_of_clients():
    buckets = Buckets(rate=1, burst=2, max_clients=100)
    for n in range(10_000):
        buckets.take(f"client-{n}", now=0.0)
    assert len(buckets) == 100
    # The most recent ones are those kept.
    assert buckets.take("client-9999", now=0.0) == 0.0
    assert buckets.take("client-9999", now=0.0) > 0


def test_the_served_application_is_guarded():
    """gunicorn and runserver both serve cms.wsgi.application."""
    from cms import wsgi

    assert isinstance(wsgi.application, ClientRateGuard)
    assert wsgi.application.application is wsgi.django_application
