"""The pipeline's health, for monitoring and the compose healthchecks.

`GET /healthz/` answers anyone with `{"ok": true}` (200) or `{"ok": false}`
(503) and nothing more: the database and Redis answer, every queue work is
routed to has a worker whose heartbeat is fresh (`tasks.heartbeat`), and
beat's last sweep is recent. It asks no worker anything: the workers and
beat note themselves that they are alive, so a check costs one `SELECT 1`
and one Redis round trip, and each web process keeps its verdict for
`HEALTH_MEMO_SECONDS`, so a flood of checks costs no more than one a second.

The detailed report (`report()`: each check on its own, how long ago each
queue's heartbeat and the last sweep were, overdue schedules, scheduled
changes that failed and no one has marked as seen, tasks waiting
for the broker, digests, webhooks, the rate limiter) goes only to a request
with `Authorization: Bearer <HEALTH_TOKEN>` or from an address the
trusted-proxy rule counts as internal (`security.clients.is_internal`);
`ok` there is false for more (overdue work, a piling backlog). `python
manage.py pipeline_health` prints it, and also pings the workers (a
broadcast that waits a second for their answers). 200 when all is well, 503
otherwise, JSON.
"""

import hmac
import time

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from feedback import digests as feedback_digests
from feedback import ratelimit as feedback_ratelimit
from planning import failures as schedule_failures
from security.clients import bearer_secret, is_internal
from webhooks import delivery as webhook_delivery

from . import heartbeat, outbox, scheduling
from .publishing import LAST_SWEEP_KEY

# This process's last verdicts: {"public" or "detailed": (valid until, monotonic; data)}.
_memo = {}


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


def ping_workers(timeout=1.0):
    """How many workers answer a broadcast ping: `pipeline_health` only,
    never a web request (it waits `timeout` for the answers)."""
    replies = current_app.control.inspect(timeout=timeout).ping() or {}
    return len(replies)


def expected_queues():
    """Every queue work is routed to: each needs a live worker."""
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return sorted(routed | {current_app.conf.task_default_queue})


def pipeline_notes(now=None):
    """What beat and the workers noted, read in one round trip: (seconds
    since beat's last sweep or None, {queue: {"seconds_ago", "worker"} or
    None})."""
    now = time.time() if now is None else now
    queues = expected_queues()
    found = cache.get_many([LAST_SWEEP_KEY, *(heartbeat.key(queue) for queue in queues)])
    last = found.get(LAST_SWEEP_KEY)
    sweep_age = None if last is None else round(now - float(last), 1)
    beats = {}
    for queue in queues:
        note = found.get(heartbeat.key(queue))
        beats[queue] = (
            None
            if note is None
            else {"seconds_ago": round(now - float(note["at"]), 1), "worker": note["worker"]}
        )
    return sweep_age, beats


def beat_ok(sweep_age):
    return sweep_age is not None and sweep_age <= settings.SCHEDULE_SWEEP_SECONDS * 6


def workers_ok(beats):
    return all(
        note is not None and note["seconds_ago"] <= settings.HEALTH_HEARTBEAT_STALE_SECONDS
        for note in beats.values()
    )


def alive():
    """The public verdict: the database and Redis answer, every queue has a
    live worker, beat sweeps."""
    try:
        check_database()
        # A Redis that does not answer reads as no notes at all: stale.
        sweep_age, beats = pipeline_notes()
    except Exception:
        return False
    return beat_ok(sweep_age) and workers_ok(beats)


def report(ping=False):
    """Everything, for an operator; `ping` also asks the workers themselves."""
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

    try:
        sweep_age, beats = pipeline_notes()
    except Exception as exc:  # the cache (Redis) is down: say so, in JSON
        sweep_age, beats = None, dict.fromkeys(expected_queues())
        result["cache_error"] = exc.__class__.__name__
    result["heartbeats"] = beats
    result["workers_ok"] = workers_ok(beats)
    result["last_sweep_seconds_ago"] = sweep_age
    result["beat_ok"] = beat_ok(sweep_age)
    if not (result["workers_ok"] and result["beat_ok"]):
        result["ok"] = False
    if ping:
        run("workers", ping_workers)
        if result.get("workers") == 0:
            result["ok"] = False

    if result["database"]:
        overdue = scheduling.overdue_count()
        result["overdue"] = overdue
        if overdue:
            result["ok"] = False
        try:
            failed = schedule_failures.unseen_count()
        except Exception as exc:  # e.g. before `migrate`: still answer in JSON
            result["schedule_failures_error"] = exc.__class__.__name__
            result["ok"] = False
        else:
            # Scheduled changes that failed and no one has marked as seen:
            # content that is not what the editors planned.
            result["schedule_failures"] = failed
            if failed:
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


def may_see_details(request):
    """The health token, compared in constant time, or an internal client."""
    token = settings.HEALTH_TOKEN
    given = bearer_secret(request)
    if token and given is not None:
        if hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    return is_internal(request)


def memoised(kind, compute):
    """This process's verdict of `kind`, computed at most once per
    `HEALTH_MEMO_SECONDS`."""
    now = time.monotonic()
    kept = _memo.get(kind)
    if kept is None or now >= kept[0]:
        kept = _memo[kind] = (now + settings.HEALTH_MEMO_SECONDS, compute())
    return kept[1]


@never_cache
@require_safe
def healthz(request):
    if may_see_details(request):
        data = memoised("detailed", report)
    else:
        data = memoised("public", lambda: {"ok": alive()})
    return JsonResponse(data, status=200 if data["ok"] else 503)
