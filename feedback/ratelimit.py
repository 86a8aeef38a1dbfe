"""The per-client limit on feedback posts: `FEEDBACK_RATE_LIMIT` accepted
posts per client (an IPv4 address, an IPv6 /64) and window, counted by the
site's one limiter (`security.ratelimit`, which fails open and says so)."""

from django.conf import settings

from security import ratelimit

SCOPE = "feedback"


def hit(client_key, limit=None, window=None, now=None):
    """Count one post of `client_key` in the current window. Returns
    (allowed, seconds until the window ends, the window's key for `undo`)."""
    result = ratelimit.hit(
        SCOPE,
        client_key,
        limit or settings.FEEDBACK_RATE_LIMIT,
        window or settings.FEEDBACK_RATE_LIMIT_WINDOW_SECONDS,
        now=now,
    )
    return result.allowed, result.retry_after, result.key


def undo(key):
    """Take back a counted post that was refused: only accepted posts count."""
    ratelimit.undo(key)


def status():
    """For the health check: 'ok', or 'open' when the limiter fails open."""
    return ratelimit.status()
