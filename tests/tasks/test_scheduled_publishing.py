"""Scheduled publishing and expiry of pages, end to end: Wagtail schedules,
the receiver queues an exact-time task when the transaction commits, a real
Celery worker publishes on Redis and the real database, once and never early.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client, override_settings
from django.utils import timezone
from wagtail.models import Page, PageLogEntry, Revision

from intl_pages.models import InternationalPage, PageUpdateStamp
from tasks import publishing, scheduling
from tests.builders import heading, make_page, paragraph

from .support import (
    PAGE_URL,
    fetch_contact,
    fetch_page,
    in_process_worker,
    queued_messages,
    schedule_page,
    seconds_from_now,
    sleep_until,
    task_args,
    task_names,
    wait_until,
)

PUBLISH = "tasks.publish_revision"
PUBLISH_MANY = "tasks.publish_revisions"
EXPIRE = "tasks.expire_object"
EXPIRE_MANY = "tasks.expire_objects"


def logged(page, action):
    return PageLogEntry.objects.filter(page=page, action=action)


def drafts(title, count):
    """`count` pages under the home page, never live yet."""
    return [
        make_page(title=f"{title} {i}", introduction="Samma ögonblick.", live=False)
        for i in range(count)
    ]


@pytest.mark.django_db(transaction=True)
def test_page_goes_live_at_its_time_once(worker, page_tx, task_runs):
    old_title = page_tx.title
    go_live_at = seconds_from_now(3)
    revision = schedule_page(page_tx, go_live_at, title="Vänorter – ny rubrik")

    # Until its time the visitor sees the old page (a state read before the
    # time must be the old one: the worker may not publish early).
    seen_before = fetch_page(page_tx.pk).title
    if timezone.now() < go_live_at:
        assert seen_before == old_title

    page = wait_until(
        lambda: (p := fetch_page(page_tx.pk)).title != old_title and p,
        what="the scheduled title to go live",
    )
    assert page.live
    assert page.live_revision_id == revision.pk
    assert page.last_published_at >= go_live_at, "published before its time"
    assert logged(page, "wagtail.publish.scheduled").count() == 1
    [run] = task_runs.wait_for(PUBLISH, revision.pk)
    assert run.retval == scheduling.PUBLISHED
    revision.refresh_from_db()
    assert revision.approved_go_live_at is None

    response = Client().get(page.url)
    assert response.status_code == 200
    assert "Vänorter – ny rubrik" in response.content.decode()
    # "Senast uppdaterad" moved to the publish.
    wait_until(
        lambda: PageUpdateStamp.objects.get(page_id=page.pk).updated_at == page.last_published_at,
        what="the page's stamp to move to its scheduled publish",
    )


@pytest.mark.django_db(transaction=True)
def test_never_live_page_goes_live_at_its_time(worker, page_tx, task_runs):
    go_live_at = seconds_from_now(3)
    # Published with a go-live time ahead: Wagtail schedules it.
    page = make_page(
        title="Nya vänorter 2027",
        slug="nya-vanorter",
        introduction="Kommunen söker nya vänorter.",
        body=[heading("Nya vänorter"), paragraph("<p>En sida som ännu inte är publicerad.</p>")],
        parent=page_tx.get_parent(),
        go_live_at=go_live_at,
    )
    revision = Revision.objects.get(pk=page.latest_revision_id)
    assert revision.approved_go_live_at == go_live_at

    # Scheduling a never-live page sends Wagtail's `page_published`: nothing
    # may take that for a publish. (What was read before the time must show
    # the page not live yet.)
    status, live = Client().get("/nya-vanorter/").status_code, fetch_page(page.pk).live
    if timezone.now() < go_live_at:
        assert (status, live) == (404, False)

    page = wait_until(lambda: (p := fetch_page(page.pk)).live and p, what="the new page to go live")
    assert page.first_published_at >= go_live_at, "published before its time"
    assert page.live_revision_id == revision.pk
    assert logged(page, "wagtail.publish.scheduled").count() == 1
    assert not logged(page, "wagtail.publish").exists()
    [run] = task_runs.wait_for(PUBLISH, revision.pk)
    assert run.retval == scheduling.PUBLISHED
    assert Client().get("/nya-vanorter/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_page_expires_at_its_time_once(worker, page_tx, task_runs):
    expire_at = seconds_from_now(3)
    page = fetch_page(page_tx.pk)
    page.expire_at = expire_at
    page.save_revision().publish()
    assert fetch_page(page.pk).live

    page = wait_until(lambda: not (p := fetch_page(page.pk)).live and p, what="the page to expire")
    assert timezone.now() >= expire_at
    assert page.expired
    entries = logged(page, "wagtail.unpublish.scheduled")
    assert entries.count() == 1
    assert entries.get().timestamp >= expire_at, "expired before its time"
    [run] = task_runs.wait_for(EXPIRE)
    assert run.retval == scheduling.EXPIRED
    assert Client().get(PAGE_URL).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_cancelled_schedule_publishes_nothing(worker, page_tx, task_runs):
    old_title = page_tx.title
    go_live_at = seconds_from_now(3)
    revision = schedule_page(page_tx, go_live_at, title="Ska aldrig synas")

    # The editor cancels the schedule (Wagtail's "Cancel scheduled publish").
    revision.approved_go_live_at = None
    revision.save(update_fields=["approved_go_live_at"])

    # The task queued for the old time still runs, at its time, and does nothing.
    [run] = task_runs.wait_for(PUBLISH, revision.pk)
    assert run.retval == scheduling.STALE
    assert timezone.now() >= go_live_at
    page = fetch_page(page_tx.pk)
    assert page.title == old_title
    assert page.live_revision_id != revision.pk
    assert not logged(page, "wagtail.publish.scheduled").exists()


@pytest.mark.django_db(transaction=True)
def test_rescheduled_page_goes_live_once_at_the_new_time(worker, page_tx, task_runs):
    old_title = page_tx.title
    first_time = seconds_from_now(3)
    first = schedule_page(page_tx, first_time, title="Första versionen")
    second_time = seconds_from_now(6)
    second = schedule_page(page_tx, second_time, title="Andra versionen")
    first.refresh_from_db()
    assert first.approved_go_live_at is None  # Wagtail keeps one schedule per object

    titles_seen = set()

    def published():
        page = fetch_page(page_tx.pk)
        titles_seen.add(page.title)
        return page.title != old_title and page

    page = wait_until(published, interval=0.05, what="the rescheduled version to go live")
    assert "Första versionen" not in titles_seen, "the stale first schedule went live"
    assert page.title == "Andra versionen"
    assert page.live_revision_id == second.pk
    assert page.last_published_at >= second_time, "published before the new time"
    [entry] = logged(page, "wagtail.publish.scheduled")
    assert entry.revision_id == second.pk
    [stale] = task_runs.wait_for(PUBLISH, first.pk)
    assert stale.retval == scheduling.STALE
    [done] = task_runs.wait_for(PUBLISH, second.pk)
    assert done.retval == scheduling.PUBLISHED


@pytest.mark.django_db(transaction=True)
def test_task_delivered_twice_publishes_once(worker, page_tx, task_runs):
    go_live_at = seconds_from_now(1)
    revision = schedule_page(page_tx, go_live_at, title="Levererad två gånger")
    sleep_until(go_live_at)
    # Redis re-delivers an unacknowledged task, or a sweep re-queues it: the
    # same task, twice, for the same due revision.
    for _ in range(2):
        publishing.publish_revision.apply_async(args=[revision.pk, scheduling.as_iso(go_live_at)])

    runs = task_runs.wait_for(PUBLISH, revision.pk, count=3)  # the receiver's one, and two more
    assert sorted(run.retval for run in runs) == sorted(
        [scheduling.PUBLISHED, scheduling.STALE, scheduling.STALE]
    )
    page = fetch_page(page_tx.pk)
    assert page.title == "Levererad två gånger"
    assert logged(page, "wagtail.publish.scheduled").count() == 1
    assert logged(page, "wagtail.publish").count() == 1  # the builder's, no more


@pytest.mark.django_db(transaction=True)
def test_early_task_does_nothing_and_publishes_at_its_time(worker, page_tx, broker, task_runs):
    go_live_at = seconds_from_now(3)
    revision = schedule_page(page_tx, go_live_at, title="Inte för tidigt")
    # A task that wakes before its time (a clock step, an ETA lost and
    # re-queued without one): sent now, to run at once.
    publishing.publish_revision.apply_async(args=[revision.pk, scheduling.as_iso(go_live_at)])

    runs = task_runs.wait_for(PUBLISH, revision.pk, count=2)
    assert sorted(run.retval for run in runs) == [scheduling.PUBLISHED, scheduling.STALE]
    early = [run for run in task_runs.of(PUBLISH, revision.pk) if run.state == "RETRY"]
    assert early, "the early task did not wait for its time"
    page = fetch_page(page_tx.pk)
    assert page.last_published_at >= go_live_at, "published before its time"
    assert logged(page, "wagtail.publish.scheduled").count() == 1


@pytest.mark.django_db
def test_publish_before_its_time_returns_early_and_changes_nothing(page_db):
    go_live_at = timezone.now() + timedelta(minutes=5)
    page = fetch_page(page_db.pk)
    page.title = "För tidigt"
    page.go_live_at = go_live_at
    revision = page.save_revision()
    revision.publish()
    before = fetch_page(page_db.pk)

    outcome = scheduling.publish_scheduled_revision(revision.pk, scheduling.as_iso(go_live_at))

    assert outcome.status == scheduling.EARLY
    assert 0 < outcome.wait_seconds <= 300
    revision.refresh_from_db()
    assert revision.approved_go_live_at == go_live_at
    after = fetch_page(page_db.pk)
    assert (after.title, after.live_revision_id, after.last_published_at) == (
        before.title,
        before.live_revision_id,
        before.last_published_at,
    )
    assert not logged(after, "wagtail.publish.scheduled").exists()

    # A second before the time, with the clock passed in: still early.
    outcome = scheduling.publish_scheduled_revision(
        revision.pk, scheduling.as_iso(go_live_at), now=go_live_at - timedelta(seconds=1)
    )
    assert outcome == scheduling.Outcome(scheduling.EARLY, 1.0)
    revision.refresh_from_db()
    assert revision.approved_go_live_at == go_live_at


@pytest.mark.django_db
def test_expiry_before_its_time_returns_early_and_twice_expires_once(page_db):
    expire_at = timezone.now() + timedelta(minutes=5)
    page = fetch_page(page_db.pk)
    page.expire_at = expire_at
    page.save_revision().publish()
    page_type = ContentType.objects.get_for_model(Page).pk
    iso = scheduling.as_iso(expire_at)
    assert scheduling.expire_scheduled_object(page_type, page.pk, iso).status == scheduling.EARLY
    assert fetch_page(page.pk).live

    later = expire_at + timedelta(seconds=1)
    first = scheduling.expire_scheduled_object(page_type, page.pk, iso, now=later)
    second = scheduling.expire_scheduled_object(page_type, page.pk, iso, now=later)
    assert (first.status, second.status) == (scheduling.EXPIRED, scheduling.STALE)
    page = fetch_page(page.pk)
    assert not page.live and page.expired
    assert logged(page, "wagtail.unpublish.scheduled").count() == 1


@pytest.mark.django_db(transaction=True)
def test_scheduling_queues_one_exact_time_task_on_commit(page_tx, broker):
    """No worker: what the receiver puts on the real broker, and when. Due
    before the next sweeps: queued at once."""
    go_live_at = seconds_from_now(2 * settings.SCHEDULE_SWEEP_SECONDS - 2)
    revision = schedule_page(page_tx, go_live_at, title="Köad")
    messages = [m for m in queued_messages(broker) if m["headers"]["task"] == PUBLISH]
    assert len(messages) == 1, task_names(queued_messages(broker))
    headers = messages[0]["headers"]
    assert headers["argsrepr"] == repr([revision.pk, scheduling.as_iso(go_live_at)])
    assert scheduling.from_iso(headers["eta"]) == go_live_at
    assert not Revision.objects.filter(pk=revision.pk, approved_go_live_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_schedule_a_minute_ahead_is_left_to_the_sweep(page_tx, broker, cache_redis):
    go_live_at = seconds_from_now(60)
    revision = schedule_page(page_tx, go_live_at, title="Om en minut")
    assert not queued_messages(broker)

    assert publishing.plan_due() == 1  # beat's next sweep
    [message] = queued_messages(broker)
    assert message["headers"]["task"] == PUBLISH
    assert message["headers"]["argsrepr"] == repr([revision.pk, scheduling.as_iso(go_live_at)])
    assert scheduling.from_iso(message["headers"]["eta"]) == go_live_at
    assert publishing.plan_due() == 0  # and only once


@pytest.mark.django_db(transaction=True)
@override_settings(SCHEDULE_BATCH_SIZE=4)
def test_pages_due_at_one_instant_go_out_in_batches_and_go_live_once_each(
    home_tx, broker, cache_redis, task_runs
):
    pages = drafts("Samtidig", 10)
    # Far enough ahead that the receivers leave it to the sweep.
    go_live_at = seconds_from_now(2 * settings.SCHEDULE_SWEEP_SECONDS + 3)
    revisions = [schedule_page(page, go_live_at) for page in pages]
    assert not queued_messages(broker)

    assert publishing.plan_due() == 10
    messages = queued_messages(broker)
    assert task_names(messages) == [PUBLISH_MANY] * 3
    batches = [task_args(m) for m in messages]
    assert sorted(len(ids) for ids, _ in batches) == [2, 4, 4]
    assert sorted(i for ids, _ in batches for i in ids) == sorted(r.pk for r in revisions)
    assert {at for _, at in batches} == {scheduling.as_iso(go_live_at)}
    # One batch delivered twice.
    publishing.publish_revisions.apply_async(args=batches[0])

    with in_process_worker():
        ids = [page.pk for page in pages]
        wait_until(
            lambda: InternationalPage.objects.filter(pk__in=ids, live=True).count() == len(ids),
            what="every page to go live",
        )
        task_runs.wait_for(PUBLISH_MANY, count=4)
    for page in pages:
        page = fetch_page(page.pk)
        assert page.last_published_at >= go_live_at, "published before its time"
        assert logged(page, "wagtail.publish.scheduled").count() == 1
    outcomes = [run.retval for run in task_runs.finished(PUBLISH_MANY)]
    assert sum(o.get(scheduling.PUBLISHED, 0) for o in outcomes) == 10
    assert sum(o.get(scheduling.STALE, 0) for o in outcomes) == len(batches[0][0])


@pytest.mark.django_db(transaction=True)
@override_settings(SCHEDULE_BATCH_SIZE=4)
def test_pages_due_to_expire_at_one_instant_go_out_in_batches_and_expire_once_each(
    home_tx, broker, cache_redis, task_runs
):
    pages = drafts("Kampanj", 6)
    # Far enough ahead that the receivers leave it to the sweep.
    expire_at = seconds_from_now(2 * settings.SCHEDULE_SWEEP_SECONDS + 3)
    for page in pages:
        page.expire_at = expire_at
        page.save_revision().publish()
    assert EXPIRE not in task_names(queued_messages(broker))
    broker.flushdb()

    assert publishing.plan_due() == 6
    messages = queued_messages(broker)
    assert task_names(messages) == [EXPIRE_MANY] * 2
    batches = [task_args(m) for m in messages]
    page_type = ContentType.objects.get_for_model(Page).pk  # pages expire as pages
    assert sorted(len(ids) for _, ids, _ in batches) == [2, 4]
    assert sorted(i for _, ids, _ in batches for i in ids) == sorted(p.pk for p in pages)
    assert {(ct, at) for ct, _, at in batches} == {(page_type, scheduling.as_iso(expire_at))}
    # One batch delivered twice.
    publishing.expire_objects.apply_async(args=batches[0])

    with in_process_worker():
        ids = [page.pk for page in pages]
        wait_until(
            lambda: InternationalPage.objects.filter(pk__in=ids, expired=True).count() == len(ids),
            what="every page to expire",
        )
        task_runs.wait_for(EXPIRE_MANY, count=3)
    for page in pages:
        page = fetch_page(page.pk)
        assert not page.live
        [entry] = logged(page, "wagtail.unpublish.scheduled")
        assert entry.timestamp >= expire_at, "expired before its time"
    outcomes = [run.retval for run in task_runs.finished(EXPIRE_MANY)]
    assert sum(o.get(scheduling.EXPIRED, 0) for o in outcomes) == 6
    assert sum(o.get(scheduling.STALE, 0) for o in outcomes) == len(batches[0][1])


@pytest.mark.django_db(transaction=True)
def test_a_revision_that_fails_in_a_batch_goes_on_alone_and_the_rest_go_live(
    home_tx, broker, cache_redis, task_runs
):
    pages = drafts("Grupp", 3)
    go_live_at = seconds_from_now(1)
    revisions = [schedule_page(page, go_live_at) for page in pages]
    broker.flushdb()  # the receivers' own tasks: this test sends the batch itself
    # A revision the database refuses: a page without a title.
    broken = revisions[1]
    broken.content = {**broken.content, "title": None}
    broken.save(update_fields=["content"])

    sleep_until(go_live_at)
    with in_process_worker():
        publishing.publish_revisions.delay([r.pk for r in revisions], scheduling.as_iso(go_live_at))
        [run] = task_runs.wait_for(PUBLISH_MANY)
        assert run.retval == {scheduling.PUBLISHED: 2, "retried": 1}
        # The failing one was queued again on its own, and retries.
        wait_until(lambda: task_runs.of(PUBLISH, broken.pk), what="its own task to run")
        assert task_runs.of(PUBLISH, broken.pk)[0].state == "RETRY"
    # Its claim went back with its transaction: still due, for the retries
    # and the sweep.
    broken.refresh_from_db()
    assert broken.approved_go_live_at == go_live_at
    for page, revision in zip(pages, revisions, strict=True):
        page = fetch_page(page.pk)
        if revision == broken:
            assert not page.live
            assert not logged(page, "wagtail.publish.scheduled").exists()
        else:
            assert page.live_revision_id == revision.pk
            assert logged(page, "wagtail.publish.scheduled").count() == 1


@pytest.mark.django_db(transaction=True)
@override_settings(SCHEDULE_HORIZON_SECONDS=2)
def test_schedule_beyond_the_horizon_is_queued_by_the_sweep(worker, page_tx, broker, task_runs):
    go_live_at = seconds_from_now(4)
    revision = schedule_page(page_tx, go_live_at, title="Bortom horisonten")
    # Too far ahead for an exact-time task: none was queued on commit.
    assert not queued_messages(broker) and broker.hlen("unacked") == 0
    assert not task_runs.runs

    sweeps = []

    def swept_and_published():
        sweeps.append(publishing.plan_due())  # beat, every few seconds
        return fetch_page(page_tx.pk).live_revision_id == revision.pk

    wait_until(swept_and_published, interval=0.25, what="a sweep to queue it in time")
    assert sum(sweeps) == 1, sweeps
    page = fetch_page(page_tx.pk)
    assert page.last_published_at >= go_live_at, "published before its time"
    assert logged(page, "wagtail.publish.scheduled").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_publish_queues_its_follow_up_work_once(page_tx, kim, broker):
    """No worker: what a publish puts on the real broker when it commits."""
    page = fetch_page(page_tx.pk)
    page.title = "En gång"
    page.save_revision().publish()
    # The page's own stamp moves inside its publish transaction: nothing is
    # queued for it (Wagtail's own work runs immediately in these tests).
    assert task_names(queued_messages(broker)) == []
    assert fetch_page(page.pk).last_updated_at == fetch_page(page.pk).last_published_at

    broker.flushdb()
    contact = fetch_contact(kim.pk)
    contact.phone = "0510-77 12 12"
    contact.save_revision().publish()
    # The stamps of the pages that show it moved in its own transaction:
    # nothing is queued for them either.
    assert task_names(queued_messages(broker)) == []
    assert fetch_page(page.pk).last_updated_at == fetch_contact(kim.pk).last_published_at
