"""Fixed-window rate limits counted in Redis, failing open.

One limiter for every anonymous door that counts (feedback posts, password
resets, the API's uncached reads): `hit(scope, key, limit, window)` counts
one request of `key` (a client's `clients.rate_key`) in the window.

django-ratelimit 4.1 counts through `cache.add`, which the project's
outage-proof cache answers True when Redis is down (no one is ever limited,
and no one is told), and turns an outage into a 500 with Django's own Redis
cache. This limiter fails open explicitly: with Redis down every request is
let through, the outage is logged once, and the health check shows it
(`status()`).

The counts live in the Redis at `RATELIMIT_REDIS_URL` (the cache's, which
evicts nothing), never in the page cache's, which evicts under pressure: a
flood must not be able to push its own counts out.
"""

import logging
import time
from dataclasses import dataclass

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

_client = None
_client_url = None
# Since when this process's limiter fails open (monotonic seconds), so that
# an outage is logged once when it starts and once when it ends.
_failing_since = None


@dataclass(frozen=True)
class Hit:
    allowed: bool
    retry_after: int  # seconds until the window ends (0 when failing open)
    key: str  # the window's key, for `undo`


def client():
    global _client, _client_url
    url = settings.RATELIMIT_REDIS_URL
    if _client is None or _client_url != url:
        _client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        _client_url = url
    return _client


def reset():
    """Forget this process's connection and outage state (tests, settings)."""
    global _client, _client_url, _failing_since
    _client = _client_url = _failing_since = None


def window_key(scope, key, window_start):
    return f"{scope}:rate:{key}:{window_start}"


def hit(scope, key, limit, window, now=None):
    """Count one request of `key` under `scope` in the current window."""
    global _failing_since
    now = time.time() if now is None else now
    window_start = int(now // window) * window
    name = window_key(scope, key, window_start)
    retry_after = max(1, int(window_start + window - now))
    try:
        pipe = client().pipeline()
        pipe.incr(name)
        pipe.expire(name, window + 1)
        count, _ = pipe.execute()
    except redis.RedisError as exc:
        if _failing_since is None:
            _failing_since = time.monotonic()
            logger.warning(
                "Gränserna för anrop per klient gäller inte: Redis svarar inte (%r).", exc
            )
        return Hit(True, 0, name)
    if _failing_since is not None:
        logger.warning(
            "Gränserna för anrop per klient gäller igen efter %.0f s.",
            time.monotonic() - _failing_since,
        )
        _failing_since = None
    return Hit(count <= limit, retry_after, name)


def undo(name):
    """Take back a counted request (one that was refused or did not count)."""
    try:
        client().decr(name)
    except redis.RedisError:
        pass  # failing open already


def status():
    """'ok', or 'open' when Redis does not answer (every process fails open
    then, whichever one is asked)."""
    try:
        client().ping()
    except redis.RedisError:
        return "open"
    return "ok"
