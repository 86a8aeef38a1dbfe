"""When the queue fails: a worker killed in the middle of a publish, Redis
emptied before a scheduled time. The database is the truth; the sweep
(`scheduling.plan`, run by beat every few seconds, called here directly)
queues again what was lost, and the claim keeps the publish to one."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from wagtail.models import PageLogEntry, Revision

from tasks import publishing, scheduling

from .support import (
    fetch_page,
    in_process_worker,
    lock_waiters,
    queued_messages,
    requires_postgresql,
    row_locked,
    schedule_page,
    seconds_from_now,
    task_names,
    wait_until,
)

PUBLISH = "tasks.publish_revision"


def scheduled_publishes(page):
    return PageLogEntry.objects.filter(page=page, action="wagtail.publish.scheduled")


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_publish_then_the_sweep_publishes_once(
    worker_process, page_tx, broker, task_runs
):
    old_title = page_tx.title
    # A revision that is due (scheduled a minute ago; its exact-time task is
    # the one the worker is about to run).
    page = fetch_page(page_tx.pk)
    page.title = "Publicerad efter kraschen"
    revision = page.save_revision()
    go_live_at = timezone.now() - timedelta(seconds=60)
    Revision.objects.filter(pk=revision.pk).update(approved_go_live_at=go_live_at)

    process = worker_process()
    # Hold the page's row, so that the worker, having claimed the revision
    # (a conditional UPDATE of the revision row), waits in the middle of the
    # publish, at the UPDATE of the page; kill it there.
    with row_locked("wagtailcore_page", page_tx.pk):
        publishing.queue_publishes([revision.pk], go_live_at)
        waiting = wait_until(lock_waiters, what="the worker's publish to wait on the page")
        assert waiting[0].startswith('UPDATE "wagtailcore_page"'), waiting
        process.kill()
    assert process.process.returncode == -9

    # Nothing half-done: the claim and the publish are one transaction, and
    # the claim went with the killed worker's connection.
    revision.refresh_from_db()
    assert revision.approved_go_live_at == go_live_at
    page = fetch_page(page_tx.pk)
    assert page.title == old_title
    assert not scheduled_publishes(page).exists()
    # The task died unacknowledged: Redis gives it back only after the
    # visibility timeout (an hour), so it is the sweep that must act.
    assert broker.hlen("unacked") == 1

    with in_process_worker():
        assert publishing.plan_due() == 1  # overdue: queued again
        page = wait_until(
            lambda: (p := fetch_page(page_tx.pk)).title != old_title and p,
            what="the sweep's task to publish",
        )
        [run] = task_runs.wait_for(PUBLISH, revision.pk)
    assert run.retval == scheduling.PUBLISHED
    assert page.title == "Publicerad efter kraschen"
    assert page.live_revision_id == revision.pk
    assert scheduled_publishes(page).count() == 1
    revision.refresh_from_db()
    assert revision.approved_go_live_at is None


@pytest.mark.django_db(transaction=True)
def test_redis_emptied_before_the_time_the_sweep_queues_it_again(
    page_tx, broker, cache_redis, task_runs
):
    # Scheduled while no worker runs: the exact-time task waits in Redis.
    go_live_at = seconds_from_now(4)
    revision = schedule_page(page_tx, go_live_at, title="Efter att Redis tömdes")
    assert task_names(queued_messages(broker)) == [PUBLISH]

    # Redis loses everything: the queued task and the queue-once marks.
    broker.flushdb()
    cache_redis.flushdb()

    with in_process_worker():
        assert publishing.plan_due() == 1  # beat's next sweep
        page = wait_until(
            lambda: (p := fetch_page(page_tx.pk)).live_revision_id == revision.pk and p,
            what="the re-queued task to publish",
        )
        [run] = task_runs.wait_for(PUBLISH, revision.pk)
    assert run.retval == scheduling.PUBLISHED
    assert page.title == "Efter att Redis tömdes"
    assert page.last_published_at >= go_live_at, "published before its time"
    assert scheduled_publishes(page).count() == 1


@pytest.mark.django_db(transaction=True)
@override_settings(SCHEDULE_GRACE_SECONDS=2)
def test_broker_emptied_but_marks_kept_publishes_once_the_grace_has_passed(
    page_tx, broker, task_runs
):
    """Only the broker's Redis database lost: the sweep's marks say the task
    was queued, so the sweep queues it again once it is overdue."""
    go_live_at = seconds_from_now(2)
    revision = schedule_page(page_tx, go_live_at, title="Efter att kön tömdes")
    broker.flushdb()

    with in_process_worker():
        assert publishing.plan_due() == 0  # the mark is there: nothing queued yet
        sweeps = []

        def swept_and_published():
            sweeps.append(publishing.plan_due())  # beat, every few seconds
            return fetch_page(page_tx.pk).live_revision_id == revision.pk

        wait_until(swept_and_published, interval=0.5, what="a sweep to queue it again")
        runs = task_runs.wait_for(PUBLISH, revision.pk, count=sum(sweeps))
    # Queued again once per grace period while overdue: one of them publishes.
    assert sum(sweeps) >= 1
    assert [run.retval for run in runs].count(scheduling.PUBLISHED) == 1
    page = fetch_page(page_tx.pk)
    assert page.title == "Efter att kön tömdes"
    assert page.last_published_at >= go_live_at + timedelta(seconds=2)
    assert scheduled_publishes(page).count() == 1
