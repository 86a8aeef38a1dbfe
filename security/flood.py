"""A ceiling on how fast one client may ask, for every request the site
answers (static files too: a page view is a handful of requests, well inside
the burst): a token bucket per client in each web process's memory, in
front of Django (`ClientRateGuard`, the WSGI application cms/wsgi.py
serves).

The limits in Redis (`security.ratelimit`: feedback posts, password resets,
the API's uncached reads) count precisely what is costly. This one is the
cheap floor under them all: a flood of cache hits, of `/healthz/`, or of
requests with a made-up session cookie (which the page cache must never
answer, so each is a render) is refused here before it reaches anything that
costs. It must cost less than what it protects, a page-cache hit, so it
asks no one (no Redis round trip, no database) and answers before Django
builds a request. Each gunicorn worker counts on its own, so a client gets
up to the rate times the workers: a bound, not a quota.

Clients come from `security.clients` (behind the proxy, the visitor's own
address; IPv6 per /64). Internal clients (`INTERNAL_NETWORKS`: the
healthchecks, `make run` on a laptop) are never counted. The buckets of at
most `CLIENT_RATE_MAX_CLIENTS` clients are kept, the least recently seen
dropped first (a dropped client starts again with a full bucket: a botnet
of that many addresses is what the Redis limits and the proxy are for).
"""

import json
import math
import threading
import time
from collections import OrderedDict

from django.conf import settings

from . import clients

TOO_MANY = "För många förfrågningar från din anslutning. Försök igen om en stund."
PAGE = (
    '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8">'
    "<title>För många förfrågningar – Lidköpings kommun</title></head>"
    f"<body><h1>För många förfrågningar</h1><p>{TOO_MANY}</p></body></html>"
)
API_PREFIX = "/api/"


class Buckets:
    """Token buckets by client key: `rate` tokens a second, at most `burst`,
    for at most `max_clients` clients."""

    def __init__(self, rate, burst, max_clients):
        self.rate = float(rate)
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets = OrderedDict()  # key -> [tokens, when last filled]
        self._lock = threading.Lock()  # runserver and gthread serve in threads

    def take(self, key, now):
        """0 when `key` may go on now (one token taken), else the seconds
        until it may."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = [self.burst, now]
                if len(self._buckets) > self.max_clients:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
                bucket[0] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
                bucket[1] = now
            if bucket[0] >= 1.0:
                bucket[0] -= 1.0
                return 0.0
            return (1.0 - bucket[0]) / self.rate

    def __len__(self):
        return len(self._buckets)


def refusal_headers():
    """What a refusal carries besides its body: the site's public policy
    headers (it never reaches SecurityHeadersMiddleware), and that no one
    may keep it."""
    from csp.utils import build_policy

    from .headers import permissions_policy

    headers = [
        ("Content-Security-Policy", build_policy()),
        ("Permissions-Policy", permissions_policy(settings.PERMISSIONS_POLICY)),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", settings.SECURE_REFERRER_POLICY or "same-origin"),
        ("Cache-Control", "no-store"),
    ]
    if settings.SECURE_HSTS_SECONDS:
        headers.append(("Strict-Transport-Security", f"max-age={settings.SECURE_HSTS_SECONDS}"))
    return headers


def refusal_body(path):
    """(content type, body) of the 429: a problem detail on the API's paths,
    a Swedish page elsewhere."""
    if path.startswith(API_PREFIX):
        body = {"type": "about:blank", "title": "Too Many Requests", "status": 429}
        body["detail"] = TOO_MANY
        return "application/problem+json", json.dumps(body, ensure_ascii=False).encode()
    return "text/html; charset=utf-8", PAGE.encode()


class Environ:
    """A WSGI environ where `security.clients` reads a request's META."""

    __slots__ = ("META",)

    def __init__(self, environ):
        self.META = environ


class ClientRateGuard:
    """The WSGI application (cms/wsgi.py: gunicorn's and runserver's) with
    the ceiling in front of it: a refused request costs reading two headers,
    without Django's request, signals or middleware. (As a middleware a
    refusal cost about what a cache hit costs: on the same machine
    bench/hostile.py saw 1,800 refusals a second that way, 2,400 this way.)"""

    def __init__(self, application, clock=time.monotonic):
        self.application = application
        self.clock = clock
        rate = settings.CLIENT_RATE_PER_SECOND
        self.buckets = (
            Buckets(rate, settings.CLIENT_RATE_BURST, settings.CLIENT_RATE_MAX_CLIENTS)
            if rate > 0
            else None
        )
        self.headers = refusal_headers() if self.buckets is not None else []

    def __call__(self, environ, start_response):
        if self.buckets is not None:
            ip = clients.client_ip(Environ(environ))
            if not clients.within_internal(ip):
                wait = self.buckets.take(clients.rate_key(ip), self.clock())
                if wait:
                    content_type, body = refusal_body(environ.get("PATH_INFO", ""))
                    start_response(
                        "429 Too Many Requests",
                        [
                            ("Content-Type", content_type),
                            ("Content-Length", str(len(body))),
                            ("Retry-After", str(max(1, math.ceil(wait)))),
                            *self.headers,
                        ],
                    )
                    return [body]
        return self.application(environ, start_response)
