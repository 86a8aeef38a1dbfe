"""The cache, on Redis, that a Redis outage does not turn into error pages.

Wagtail reads and clears the cache on ordinary requests (the site root paths
behind every page URL, cleared when a page moves or is deleted), so with
Django's own Redis backend a Redis outage would answer visitors with 500 and
make an editor's publish fail. Here a Redis that does not answer is a cache
miss: reads return the default, writes do nothing, and one warning a minute
says so. The site runs slower until Redis is back, but it runs. The
broker's outage is handled apart (tasks/outbox.py); the health check pings
Redis directly (`ping`), so an outage is still reported.
"""

import functools
import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
WARN_EVERY_SECONDS = 60


def _when_unavailable(fallback):
    """Run the cache operation; when Redis does not answer, warn (once a
    minute) and return `fallback(args)` instead."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNAVAILABLE as exc:
                self._warn_unavailable(method.__name__, exc)
                return fallback(*args, **kwargs)

        return wrapper

    return decorate


class ResilientRedisCache(RedisCache):
    _warned_at = None

    def _warn_unavailable(self, operation, exc):
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning(
                "Cachen (Redis) svarar inte (%s: %r); "
                "webbplatsen går utan cache tills den är tillbaka.",
                operation,
                exc,
            )

    @_when_unavailable(lambda key, default=None, version=None: default)
    def get(self, key, default=None, version=None):
        return super().get(key, default, version)

    @_when_unavailable(lambda keys, version=None: {})
    def get_many(self, keys, version=None):
        return super().get_many(keys, version)

    @_when_unavailable(lambda *args, **kwargs: False)
    def has_key(self, key, version=None):
        return super().has_key(key, version)

    # True: the caller goes on as if it held the key. The project's only
    # `add` callers are the scheduling marks, which keep a task from being
    # queued twice; the claim on the revision row keeps a publish to one
    # whatever the marks say, so going on is the safe side.
    @_when_unavailable(lambda *args, **kwargs: True)
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().add(key, value, timeout, version)

    @_when_unavailable(lambda *args, **kwargs: None)
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set(key, value, timeout, version)

    @_when_unavailable(lambda data, *args, **kwargs: list(data))
    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set_many(data, timeout, version)

    @_when_unavailable(lambda *args, **kwargs: False)
    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return super().touch(key, timeout, version)

    @_when_unavailable(lambda *args, **kwargs: False)
    def delete(self, key, version=None):
        return super().delete(key, version)

    @_when_unavailable(lambda *args, **kwargs: None)
    def delete_many(self, keys, version=None):
        return super().delete_many(keys, version)

    # `incr`, `decr` and `clear` still raise: a counter that silently stays
    # at zero (a rate limit) or a clear that did not happen must not pass
    # for done.

    def ping(self):
        """For the health check: raises when Redis does not answer."""
        return bool(self._cache.get_client(None, write=True).ping())
