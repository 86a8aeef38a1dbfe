"""The pipeline's health, for monitoring and the compose healthchecks.

GET /healthz/ answers JSON: the database, the broker and the cache (Redis),
whether a Celery worker answers, how long ago beat's last sweep ran, how many
scheduled publishes or expiries are overdue, and how many tasks wait in the
database for the broker. 200 when all is well, 503 otherwise, so an alert
fires when beat has stopped, Redis is down or work piles up.
"""

import time

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from feedback import digests as feedback_digests
from feedback import ratelimit as feedback_ratelimit
from webhooks import delivery as webhook_delivery

from . import outbox, scheduling
from .publishing import LAST_SWEEP_KEY


def unsent_for_at_most_seconds():
    """Tasks kept in the database while Redis was down go out at beat's next
    resend sweep; older ones mean the broker or beat is still away."""
    return max(60, 3 * settings.UNSENT_RESEND_SECONDS)


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True


def check_broker():
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return True


def check_cache():
    # The cache turns a Redis outage into misses (cms/cache.py): ask Redis.
    ping = getattr(cache, "ping", None)
    return ping() if ping else True


def check_worker(timeout=1.0):
    replies = current_app.control.inspect(timeout=timeout).ping() or {}
    return len(replies)


def last_sweep_age():
    last = cache.get(LAST_SWEEP_KEY)
    return None if last is None else round(time.time() - float(last), 1)


def report(include_worker=True):
    result = {"ok": True}

    def run(name, check):
        try:
            result[name] = check()
        except Exception as exc:
            result[name] = False
            result[f"{name}_error"] = exc.__class__.__name__
            result["ok"] = False

    run("database", check_database)
    run("broker", check_broker)
    run("cache", check_cache)
    if include_worker:
        run("workers", check_worker)
        if result.get("workers") == 0:
            result["ok"] = False

    try:
        age = last_sweep_age()
    except Exception as exc:  # the cache (Redis) is down: say so, in JSON
        age = None
        result["cache_error"] = exc.__class__.__name__
    result["last_sweep_seconds_ago"] = age
    limit = settings.SCHEDULE_SWEEP_SECONDS * 6
    result["beat_ok"] = age is not None and age <= limit
    if not result["beat_ok"]:
        result["ok"] = False
    if result["database"]:
        overdue = scheduling.overdue_count()
        result["overdue"] = overdue
        if overdue:
            result["ok"] = False
        try:
            unsent, oldest, failed = outbox.unsent_summary()
        except Exception as exc:  # e.g. before `migrate`: still answer in JSON
            result["unsent_error"] = exc.__class__.__name__
            result["ok"] = False
        else:
            result["unsent"], result["unsent_failed"] = unsent, failed
            waited = (timezone.now() - oldest).total_seconds() if oldest else 0
            if failed or waited > unsent_for_at_most_seconds():
                result["ok"] = False
        try:
            feedback = feedback_digests.health()
        except Exception as exc:  # e.g. before `migrate`: still answer in JSON
            result["feedback_error"] = exc.__class__.__name__
            result["ok"] = False
        else:
            result["feedback_digests_waiting"] = feedback["digests_waiting"]
            result["feedback_failing_owner_addresses"] = len(feedback["failing_owner_addresses"])
            if feedback["failing_owner_addresses"]:
                result["ok"] = False
        try:
            hooks = webhook_delivery.health()
        except Exception as exc:  # e.g. before `migrate`: still answer in JSON
            result["webhooks_error"] = exc.__class__.__name__
            result["ok"] = False
        else:
            result.update({f"webhook_{name}": value for name, value in hooks.items()})
            # A failing or switched-off endpoint is its owner's to fix, and
            # publishing goes on: reported, but the site is not unhealthy.
    # Failing open is by design (visitors are never refused for an outage),
    # but an operator must know that no one is limited.
    result["feedback_rate_limit"] = feedback_ratelimit.status()
    if result["feedback_rate_limit"] != "ok":
        result["ok"] = False
    return result


@never_cache
@require_GET
def healthz(request):
    data = report(include_worker=request.GET.get("worker", "1") != "0")
    return JsonResponse(data, status=200 if data["ok"] else 503)
