"""Two at once: two workers claiming the same revision, two sweeps planning
the same work. The claim is a conditional UPDATE of the revision row; the
sweep's marks are Redis SET NX. Each thread has its own database connection.
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from wagtail.models import PageLogEntry, Revision

from intl_pages.models import InternationalPage
from tasks import scheduling

from .support import (
    fetch_contact,
    in_thread,
    lock_waiters,
    requires_postgresql,
    row_locked,
    wait_until,
)


def overdue_revision(page, seconds_late=60, **changes):
    """A revision approved to go live `seconds_late` ago that nobody published
    (its task was lost): written as Wagtail writes a schedule, without the
    receiver's task."""
    page = InternationalPage.objects.get(pk=page.pk)
    for name, value in changes.items():
        setattr(page, name, value)
    revision = page.save_revision()
    go_live_at = timezone.now() - timedelta(seconds=seconds_late)
    Revision.objects.filter(pk=revision.pk).update(approved_go_live_at=go_live_at)
    revision.refresh_from_db()
    return revision


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_workers_claim_one_revision_one_publishes(page_tx):
    revision = overdue_revision(page_tx, title="Två samtidigt")
    iso = scheduling.as_iso(revision.approved_go_live_at)

    # Both claims are made while a third transaction holds the row, so both
    # UPDATEs are waiting on it at the same moment when it lets go.
    with row_locked("wagtailcore_revision", revision.pk):
        started = [in_thread(scheduling.publish_scheduled_revision, revision.pk, iso) for _ in "ab"]
        waiting = wait_until(
            lambda: len(w := lock_waiters()) >= 2 and w, what="both claims to wait on the row"
        )
    assert all(query.startswith('UPDATE "wagtailcore_revision"') for query in waiting), waiting
    for thread, _ in started:
        thread.join(timeout=30)
        assert not thread.is_alive()

    results = [result for _, result in started]
    assert not [r["error"] for r in results if "error" in r]
    assert sorted(r["value"].status for r in results) == [scheduling.PUBLISHED, scheduling.STALE]
    page = InternationalPage.objects.get(pk=page_tx.pk)
    assert page.title == "Två samtidigt"
    assert page.live_revision_id == revision.pk
    assert PageLogEntry.objects.filter(page=page, action="wagtail.publish.scheduled").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_queue_each_task_once(page_tx, kim, alex, cache_redis):
    # Due within the horizon: a page revision and a contact revision
    # (scheduled far ahead, so the receivers queue nothing; the sweeps run
    # with a clock moved to just before their time, at the start of a grace
    # period, where the re-queueing of overdue work counts from).
    grace = settings.SCHEDULE_GRACE_SECONDS
    tomorrow = (timezone.now() + timedelta(days=1)).timestamp()
    fake_now = datetime.fromtimestamp(tomorrow // grace * grace + 0.25, tz=UTC)
    page = InternationalPage.objects.get(pk=page_tx.pk)
    page.go_live_at = fake_now + timedelta(seconds=30)
    page_revision = page.save_revision()
    page_revision.publish()
    contact = fetch_contact(kim.pk)
    contact.go_live_at = fake_now + timedelta(seconds=60)
    contact_revision = contact.save_revision()
    contact_revision.publish()
    # Overdue: another contact's revision, due a minute before the sweeps.
    other = fetch_contact(alex.pk)
    other_revision = other.save_revision()
    Revision.objects.filter(pk=other_revision.pk).update(
        approved_go_live_at=fake_now - timedelta(seconds=60)
    )
    # Expiring within the horizon: the page itself.
    InternationalPage.objects.filter(pk=page.pk).update(expire_at=fake_now + timedelta(seconds=90))

    sent = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def send_publishes(revision_ids, go_live_at):
        with lock:
            sent.extend(("publish", revision_id, go_live_at) for revision_id in revision_ids)

    def send_expiries(content_type_id, object_ids, expire_at):
        with lock:
            sent.extend(("expire", object_id, expire_at) for object_id in object_ids)

    def sweep():
        barrier.wait(timeout=10)
        return scheduling.plan(
            now=fake_now, send_publishes=send_publishes, send_expiries=send_expiries
        )

    threads = [in_thread(sweep) for _ in "ab"]
    for thread, _ in threads:
        thread.join(timeout=30)
    results = [result for _, result in threads]
    assert not [r["error"] for r in results if "error" in r]

    assert sum(r["value"] for r in results) == 4
    assert sorted(sent, key=repr) == sorted(
        [
            ("publish", page_revision.pk, page.go_live_at),
            ("publish", contact_revision.pk, contact.go_live_at),
            ("publish", other_revision.pk, fake_now - timedelta(seconds=60)),
            ("expire", page.pk, fake_now + timedelta(seconds=90)),
        ],
        key=repr,
    )

    # A sweep a little later queues nothing again, but what is overdue is
    # queued again once per grace period (its task may have been lost).
    def sweep_at(moment):
        sent.clear()
        queued = scheduling.plan(
            now=moment, send_publishes=send_publishes, send_expiries=send_expiries
        )
        assert queued == len(sent)
        return sorted(item[1] for item in sent)

    assert sweep_at(fake_now + timedelta(seconds=1)) == []
    assert sweep_at(fake_now + timedelta(seconds=grace)) == [other_revision.pk]
    assert sweep_at(fake_now + timedelta(seconds=grace + 1)) == []
