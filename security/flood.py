"""A ceiling on how fast one client may ask, for every request the site
answers (WhiteNoise's static files aside): a token bucket per client in
each web process's memory.

The limits in Redis (`security.ratelimit`: feedback posts, password resets,
the API's uncached reads) count precisely what is costly. This one is the
cheap floor under them all: a flood of cache hits, of `/healthz/`, or of
requests with a made-up session cookie (which the page cache must never
answer, so each is a render) is refused here before it reaches anything that
costs. It must cost less than what it protects, a page-cache hit, so it
asks no one: no Redis round trip, no database. Each gunicorn worker counts
on its own, so a client gets up to the rate times the workers: a bound, not
a quota.

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
from django.http import HttpResponse

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


def too_many(request, wait):
    if request.path_info.startswith(API_PREFIX):
        body = {"type": "about:blank", "title": "Too Many Requests", "status": 429}
        body["detail"] = TOO_MANY
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False),
            status=429,
            content_type="application/problem+json",
        )
    else:
        response = HttpResponse(PAGE, status=429, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    response["Cache-Control"] = "no-store"
    return response


class ClientRateMiddleware:
    def __init__(self, get_response, clock=time.monotonic):
        self.get_response = get_response
        self.clock = clock
        rate = settings.CLIENT_RATE_PER_SECOND
        self.buckets = (
            Buckets(rate, settings.CLIENT_RATE_BURST, settings.CLIENT_RATE_MAX_CLIENTS)
            if rate > 0
            else None
        )

    def __call__(self, request):
        if self.buckets is not None:
            ip = clients.client_ip(request)
            if not clients.within_internal(ip):
                wait = self.buckets.take(clients.rate_key(ip), self.clock())
                if wait:
                    return too_many(request, wait)
        return self.get_response(request)
