"""The Celery tasks: thin shells around plain functions.

Every task takes ids and ISO timestamps (JSON), acknowledges late, and is
idempotent: running one twice does the work once. A task cut off by a killed
worker goes back to Redis only after the visibility timeout; the sweep
re-queues the overdue work long before that.
"""

import logging
import time
from collections import Counter

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import import_string

from . import outbox, scheduling, stamps

logger = logging.getLogger(__name__)

LAST_SWEEP_KEY = "pipeline:last-sweep"
# Set by every scheduled publish for a moment: while it is set, Wagtail's
# background work (index updates) waits, so that a burst of pages due at
# the same instant gets the CPU and the database first.
PUBLISHING_KEY = "pipeline:publishing"
PUBLISHING_SECONDS = 2
YIELD_AT_MOST_SECONDS = 120

COMMON = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": 60,
    "time_limit": 90,
}
RETRYING = {
    **COMMON,
    "autoretry_for": (Exception,),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


class LoggedFailureTask(Task):
    """Log a task that has used up its retries, with its arguments (ids), so
    an operator sees which object and revision failed."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        logger.error(
            "Jobbet %s gav upp efter %s försök: %r args=%s kwargs=%s",
            self.name,
            self.request.retries + 1,
            exc,
            args,
            kwargs,
        )


# Scheduled publishing


def queue_publish(revision_id, go_live_at):
    publish_revision.apply_async(
        args=[revision_id, scheduling.as_iso(go_live_at)],
        eta=max(go_live_at, timezone.now()),
    )


def queue_publishes(revision_ids, go_live_at):
    """One message for revisions due at the same instant."""
    if len(revision_ids) == 1:
        queue_publish(revision_ids[0], go_live_at)
        return
    publish_revisions.apply_async(
        args=[list(revision_ids), scheduling.as_iso(go_live_at)],
        eta=max(go_live_at, timezone.now()),
    )


def queue_expiries(content_type_id, object_ids, expire_at):
    """One message for objects of one type due to expire at the same instant."""
    if len(object_ids) == 1:
        expire_object.apply_async(
            args=[content_type_id, object_ids[0], scheduling.as_iso(expire_at)],
            eta=max(expire_at, timezone.now()),
        )
        return
    expire_objects.apply_async(
        args=[content_type_id, list(object_ids), scheduling.as_iso(expire_at)],
        eta=max(expire_at, timezone.now()),
    )


def _retry_if_early(task, outcome):
    if outcome.status == scheduling.EARLY:
        # Woke before the time (a clock step, an early ETA): wait, never
        # publish early, which would make Wagtail schedule it all over again.
        if outcome.wait_seconds < 1:
            time.sleep(outcome.wait_seconds)
            return True
        raise task.retry(countdown=outcome.wait_seconds, max_retries=None)
    return False


_marked_at = 0.0


def _mark_publishing():
    global _marked_at
    if time.monotonic() - _marked_at < PUBLISHING_SECONDS / 4:
        return  # marked a moment ago, by this process
    try:
        cache.set(PUBLISHING_KEY, 1, timeout=PUBLISHING_SECONDS)
        _marked_at = time.monotonic()
    except Exception:  # the mark is an optimisation: never fail a publish on it
        logger.warning("Kunde inte markera pågående publicering i cachen.", exc_info=True)


def _yield_to_publishing():
    """Wait while scheduled publishing is under way (bounded)."""
    deadline = time.monotonic() + YIELD_AT_MOST_SECONDS
    try:
        while cache.get(PUBLISHING_KEY) and time.monotonic() < deadline:
            time.sleep(0.5)
    except Exception:
        logger.warning("Kunde inte läsa publiceringsmarkeringen i cachen.", exc_info=True)


@shared_task(bind=True, base=LoggedFailureTask, **RETRYING)
def publish_revision(self, revision_id, go_live_at_iso):
    _mark_publishing()
    outcome = scheduling.publish_scheduled_revision(revision_id, go_live_at_iso)
    if _retry_if_early(self, outcome):
        outcome = scheduling.publish_scheduled_revision(revision_id, go_live_at_iso)
    return outcome.status


def _each_on_its_own(task, ids, due_iso, do_one, queue_rest, retry_alone):
    """A batch due at one instant: each item in a transaction of its own
    (`do_one`); one that fails goes on alone, with retries (`retry_alone`),
    and does not hold up the rest; out of time, the rest go on in a message
    of their own (`queue_rest`)."""
    wait = (scheduling.from_iso(due_iso) - timezone.now()).total_seconds()
    if wait > 0:
        _retry_if_early(task, scheduling.Outcome(scheduling.EARLY, wait))
    outcomes = Counter()
    for position, item_id in enumerate(ids):
        _mark_publishing()
        try:
            outcome = do_one(item_id)
        except SoftTimeLimitExceeded:
            queue_rest(ids[position:])
            raise
        except Exception:
            logger.exception("%s %s misslyckades; försöker igen på egen hand.", task.name, item_id)
            retry_alone(item_id)
            outcomes["retried"] += 1
        else:
            outcomes[outcome.status] += 1
    return dict(outcomes)


@shared_task(bind=True, base=LoggedFailureTask, **COMMON)
def publish_revisions(self, revision_ids, go_live_at_iso):
    """Revisions due at one instant, queued together by the sweep, each
    claimed and published as by `publish_revision`."""
    return _each_on_its_own(
        self,
        revision_ids,
        go_live_at_iso,
        lambda r: scheduling.publish_scheduled_revision(r, go_live_at_iso),
        lambda rest: queue_publishes(rest, scheduling.from_iso(go_live_at_iso)),
        lambda r: publish_revision.apply_async(args=[r, go_live_at_iso], countdown=2),
    )


@shared_task(bind=True, base=LoggedFailureTask, **RETRYING)
def expire_object(self, content_type_id, object_id, expire_at_iso):
    outcome = scheduling.expire_scheduled_object(content_type_id, object_id, expire_at_iso)
    if _retry_if_early(self, outcome):
        outcome = scheduling.expire_scheduled_object(content_type_id, object_id, expire_at_iso)
    return outcome.status


@shared_task(bind=True, base=LoggedFailureTask, **COMMON)
def expire_objects(self, content_type_id, object_ids, expire_at_iso):
    """Objects of one type due to expire at one instant, queued together by
    the sweep, each claimed and unpublished as by `expire_object`."""
    return _each_on_its_own(
        self,
        object_ids,
        expire_at_iso,
        lambda o: scheduling.expire_scheduled_object(content_type_id, o, expire_at_iso),
        lambda rest: queue_expiries(content_type_id, rest, scheduling.from_iso(expire_at_iso)),
        lambda o: expire_object.apply_async(args=[content_type_id, o, expire_at_iso], countdown=2),
    )


@shared_task(**COMMON)
def sweep_schedule():
    """Beat, every few seconds: queue what comes into the horizon, re-queue
    what is overdue, and note the time for the health check."""
    queued = scheduling.plan()
    cache.set(LAST_SWEEP_KEY, timezone.now().timestamp(), timeout=None)
    return queued


@shared_task(bind=True, base=LoggedFailureTask, **RETRYING)
def plan_revision(self, revision_id):
    return scheduling.plan_revision(revision_id)


@shared_task(**COMMON)
def resend_unsent():
    """Beat: send the tasks that waited in the database while Redis was down."""
    return outbox.resend_unsent()


# "Senast uppdaterad"


@shared_task(bind=True, base=LoggedFailureTask, **RETRYING)
def propagate_contact_change(self, contact_id, changed_at_iso):
    return stamps.propagate_contact_change(contact_id, scheduling.from_iso(changed_at_iso))


@shared_task(**COMMON)
def reconcile_stamps():
    return len(stamps.reconcile_all_stamps())


# Wagtail's own background work (django-tasks), routed here by
# tasks.backends.CeleryBackend.


@shared_task(bind=True, base=LoggedFailureTask, **RETRYING)
def run_django_task(self, task_path, args, kwargs):
    task = import_string(task_path)
    return task.call(*args, **kwargs)


@shared_task(**{**COMMON, "soft_time_limit": 240, "time_limit": 300})
def run_django_tasks(items):
    """The work one transaction enqueued, in order. One that fails is queued
    again on its own, with retries, and does not hold up the rest."""
    _yield_to_publishing()
    for task_path, args, kwargs in items:
        try:
            import_string(task_path).call(*args, **kwargs)
        except Exception:
            logger.exception("Bakgrundsjobbet %s misslyckades; försöker igen.", task_path)
            run_django_task.apply_async(args=[task_path, args, kwargs], countdown=2)
