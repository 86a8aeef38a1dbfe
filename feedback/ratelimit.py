"""A per-client limit on feedback posts: a fixed window counted in Redis.

django-ratelimit 4.1 counts through `cache.add`, which the project's
outage-proof cache answers True when Redis is down (no one is ever limited,
and no one is told), and turns an outage into a 500 with Django's own Redis
cache. This limiter fails open explicitly: with Redis down every post is
let through, the outage is logged, and the health check shows it.
"""

import logging
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

_client = None
# Since when this process's limiter fails open (monotonic seconds), so that
# an outage is logged once when it starts and once when it ends.
_failing_since = None


def client():
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.FEEDBACK_RATE_LIMIT_REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        )
    return _client


def hit(client_key, limit=None, window=None, now=None):
    """Count one post of `client_key` in the current window. Returns
    (allowed, seconds until the window ends, the window's key for `undo`)."""
    global _failing_since
    limit = limit or settings.FEEDBACK_RATE_LIMIT
    window = window or settings.FEEDBACK_RATE_LIMIT_WINDOW_SECONDS
    now = time.time() if now is None else now
    window_start = int(now // window) * window
    key = f"feedback:rate:{client_key}:{window_start}"
    retry_after = max(1, int(window_start + window - now))
    try:
        pipe = client().pipeline()
        pipe.incr(key)
        pipe.expire(key, window + 1)
        count, _ = pipe.execute()
    except redis.RedisError as exc:
        if _failing_since is None:
            _failing_since = time.monotonic()
            logger.warning(
                "Gränsen för svar per besökare gäller inte: Redis svarar inte (%r).", exc
            )
        return True, 0, key
    if _failing_since is not None:
        logger.warning(
            "Gränsen för svar per besökare gäller igen efter %.0f s.",
            time.monotonic() - _failing_since,
        )
        _failing_since = None
    return count <= limit, retry_after, key


def undo(key):
    """Take back a counted post that was refused: only accepted posts count."""
    try:
        client().decr(key)
    except redis.RedisError:
        pass  # failing open already


def status():
    """For the health check: 'ok', or 'open' when Redis does not answer (every
    process fails open then, whichever one is asked)."""
    try:
        client().ping()
    except redis.RedisError:
        return "open"
    return "ok"


def client_address(request):
    """The visitor's address: REMOTE_ADDR, or, behind FEEDBACK_TRUSTED_PROXIES
    proxies, the address the outermost trusted proxy saw (never a raw
    X-Forwarded-For, which any client can write)."""
    proxies = settings.FEEDBACK_TRUSTED_PROXIES
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
