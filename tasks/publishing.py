"""Scheduled publishing and expiry: the Celery side.

Thin shells around `tasks.scheduling`: every task takes ids and ISO
timestamps (JSON) and is idempotent, since the claims in `scheduling` make a
duplicate, stale or early task do nothing. A task cut off by a killed worker
goes back to Redis only after the visibility timeout; the sweep re-queues the
overdue work long before that.
"""

import logging
import time
from collections import Counter

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from planning import failures as schedule_failures

from . import releases, scheduling
from .base import PipelineTask, RetryingTask
from .outbox import send_or_keep

logger = logging.getLogger(__name__)

LAST_SWEEP_KEY = "pipeline:last-sweep"
# Set by every scheduled publish for a moment: while it is set, Wagtail's
# background work (index updates) waits, so that a burst of pages due at
# the same instant gets the CPU and the database first.
PUBLISHING_KEY = "pipeline:publishing"
PUBLISHING_SECONDS = 2
YIELD_AT_MOST_SECONDS = 120


# Queueing


def queue_publishes(revision_ids, go_live_at):
    """One message for the revisions due at one instant, at that instant."""
    args = [scheduling.as_iso(go_live_at)]
    eta = max(go_live_at, timezone.now())
    if len(revision_ids) == 1:
        publish_revision.apply_async(args=[revision_ids[0], *args], eta=eta)
    else:
        publish_revisions.apply_async(args=[list(revision_ids), *args], eta=eta)


def queue_expiries(content_type_id, object_ids, expire_at):
    """One message for the objects of one type due to expire at one instant."""
    args = [scheduling.as_iso(expire_at)]
    eta = max(expire_at, timezone.now())
    if len(object_ids) == 1:
        expire_object.apply_async(args=[content_type_id, object_ids[0], *args], eta=eta)
    else:
        expire_objects.apply_async(args=[content_type_id, list(object_ids), *args], eta=eta)


def plan_due():
    """Queue everything due within the horizon, releases too (the sweep)."""
    return scheduling.plan(
        send_publishes=queue_publishes,
        send_expiries=queue_expiries,
        send_releases=releases.queue_release,
    )


def queue_revision_if_due(revision_id):
    """Queue a revision just scheduled, when the next sweep would be too late
    (`scheduling.plan_revision` decides)."""
    return scheduling.plan_revision(revision_id, send_publishes=queue_publishes)


def queue_expiry_if_due(obj):
    """Queue the expiry of an object just published, when the next sweep
    would be too late (`scheduling.plan_expiry` decides)."""
    return scheduling.plan_expiry(obj, send_expiries=queue_expiries)


# Priority over background work


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


def yield_to_publishing():
    """Wait while scheduled publishing is under way (bounded)."""
    deadline = time.monotonic() + YIELD_AT_MOST_SECONDS
    try:
        while cache.get(PUBLISHING_KEY) and time.monotonic() < deadline:
            time.sleep(0.5)
    except Exception:
        logger.warning("Kunde inte läsa publiceringsmarkeringen i cachen.", exc_info=True)


# Failures


def tell_failure(failure_id):
    """Mail the failure to its author once the record is committed."""
    if failure_id is not None:
        # Through the outbox: with Redis away, the mail waits in the database.
        transaction.on_commit(
            lambda: send_or_keep(mail_schedule_failure, [failure_id]), robust=True
        )


def _told(outcome):
    if outcome.status == scheduling.FAILED:
        tell_failure(outcome.failure_id)
    return outcome


class ScheduledChangeTask(RetryingTask):
    """One object's publish or expiry: when its retries are spent, the
    failure is recorded and its author told, besides the log."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        super().on_failure(exc, task_id, args, kwargs, einfo)
        try:
            tell_failure(scheduling.record_gave_up(self.name, list(args), exc))
        except Exception:
            logger.exception("Kunde inte registrera felet i %s %s.", self.name, args)


@shared_task(name="tasks.mail_schedule_failure", base=RetryingTask)
def mail_schedule_failure(failure_id):
    """Tell the user who scheduled a change that failed, once."""
    return schedule_failures.mail_failure(failure_id)


# The tasks


def _wait_if_early(task, outcome):
    """True when the task woke a moment before its time and has waited for
    it (run the work again now); retries the task when it is further off."""
    if outcome.status != scheduling.EARLY:
        return False
    # Woke before the time (a clock step, an early ETA): wait, never publish
    # early, which would make Wagtail schedule it all over again.
    if outcome.wait_seconds < 1:
        time.sleep(outcome.wait_seconds)
        return True
    raise task.retry(countdown=outcome.wait_seconds, max_retries=None)


@shared_task(name="tasks.publish_revision", bind=True, base=ScheduledChangeTask)
def publish_revision(self, revision_id, go_live_at_iso):
    _mark_publishing()
    outcome = scheduling.publish_scheduled_revision(revision_id, go_live_at_iso)
    if _wait_if_early(self, outcome):
        outcome = scheduling.publish_scheduled_revision(revision_id, go_live_at_iso)
    return _told(outcome).status


@shared_task(name="tasks.expire_object", bind=True, base=ScheduledChangeTask)
def expire_object(self, content_type_id, object_id, expire_at_iso):
    outcome = scheduling.expire_scheduled_object(content_type_id, object_id, expire_at_iso)
    if _wait_if_early(self, outcome):
        outcome = scheduling.expire_scheduled_object(content_type_id, object_id, expire_at_iso)
    return outcome.status


class _Publishes:
    """Revisions due to go live at one instant."""

    def __init__(self, go_live_at_iso):
        self.due_iso = go_live_at_iso

    def do(self, revision_id):
        return _told(scheduling.publish_scheduled_revision(revision_id, self.due_iso))

    def queue(self, revision_ids):
        queue_publishes(revision_ids, scheduling.from_iso(self.due_iso))

    def retry_alone(self, revision_id):
        publish_revision.apply_async(args=[revision_id, self.due_iso], countdown=2)


class _Expiries:
    """Objects of one type due to expire at one instant."""

    def __init__(self, content_type_id, expire_at_iso):
        self.content_type_id = content_type_id
        self.due_iso = expire_at_iso

    def do(self, object_id):
        return scheduling.expire_scheduled_object(self.content_type_id, object_id, self.due_iso)

    def queue(self, object_ids):
        queue_expiries(self.content_type_id, object_ids, scheduling.from_iso(self.due_iso))

    def retry_alone(self, object_id):
        args = [self.content_type_id, object_id, self.due_iso]
        expire_object.apply_async(args=args, countdown=2)


def _each_in_its_own_claim(task, work, ids):
    """A batch due at one instant: each item in a claim and transaction of
    its own. One that fails goes on alone, with retries, and does not hold
    up the rest; out of time, the rest go on in a message of their own."""
    wait = (scheduling.from_iso(work.due_iso) - timezone.now()).total_seconds()
    if wait > 0:
        _wait_if_early(task, scheduling.Outcome(scheduling.EARLY, wait))
    outcomes = Counter()
    for position, item_id in enumerate(ids):
        _mark_publishing()
        try:
            outcome = work.do(item_id)
        except SoftTimeLimitExceeded:
            work.queue(ids[position:])
            raise
        except Exception:
            logger.exception("%s %s misslyckades; försöker igen på egen hand.", task.name, item_id)
            work.retry_alone(item_id)
            outcomes["retried"] += 1
        else:
            outcomes[outcome.status] += 1
    return dict(outcomes)


@shared_task(name="tasks.publish_revisions", bind=True, base=PipelineTask)
def publish_revisions(self, revision_ids, go_live_at_iso):
    """Revisions due at one instant, queued together by the sweep, each
    claimed and published as by `publish_revision`."""
    return _each_in_its_own_claim(self, _Publishes(go_live_at_iso), revision_ids)


@shared_task(name="tasks.expire_objects", bind=True, base=PipelineTask)
def expire_objects(self, content_type_id, object_ids, expire_at_iso):
    """Objects of one type due to expire at one instant, queued together by
    the sweep, each claimed and unpublished as by `expire_object`."""
    return _each_in_its_own_claim(self, _Expiries(content_type_id, expire_at_iso), object_ids)


@shared_task(name="tasks.sweep_schedule", base=PipelineTask)
def sweep_schedule():
    """Beat, every few seconds: queue what comes into the horizon, re-queue
    what is overdue, and note the time for the health check."""
    queued = plan_due()
    cache.set(LAST_SWEEP_KEY, timezone.now().timestamp(), timeout=None)
    return queued
