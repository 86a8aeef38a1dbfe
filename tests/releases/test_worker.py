"""Releases carried out by real Celery workers: the whole release at its
instant; a worker SIGKILLed in the middle of one (nothing applied, then
applied once after the sweep); an item that fails (nothing applied, the
scheduler told once through a real SMTP server); the `release.published`
webhook, signed and numbered."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook
from wagtail.models import ModelLogEntry, PageLogEntry

from intl_pages.models import Contact, InternationalPage, PageUpdateStamp
from releases import actions
from releases.models import Release, ReleaseState
from tasks import publishing
from tasks import releases as release_tasks
from tests.builders import make_page
from tests.tasks.support import (
    in_process_worker,
    lock_waiters,
    requires_postgresql,
    row_locked,
    wait_until,
)
from tests.webhooks.conftest import make_endpoint
from webhooks.models import KINDS, Delivery

from .support import ADMIN_EMAIL, draft_of, draft_of_contact, make_admin

APPLY = "tasks.apply_release"


def state_of(release):
    return Release.objects.get(pk=release.pk).state


def scheduled_publishes():
    return PageLogEntry.objects.filter(action="wagtail.publish.scheduled")


def build_release(user, *objects, at):
    release = actions.create_release("Nytt partnerskap", user)
    for obj in objects:
        actions.add_item(release, obj, user)
    return actions.schedule_release(release, at, user)


@pytest.mark.django_db(transaction=True)
def test_a_worker_applies_the_release_whole_at_its_instant(worker, page_tx, kim, task_runs):
    admin = make_admin()
    draft_of(page_tx, title="Vänorter och Rockford")
    revision = draft_of_contact(kim, phone="0510-77 12 34")
    fresh = make_page(title="Rockford", live=False)
    go_live_at = timezone.now() + timedelta(seconds=3)

    # Scheduled soon: queued as it commits, prepared before the instant.
    release = build_release(
        admin,
        InternationalPage.objects.get(pk=page_tx.pk),
        Contact.objects.get(pk=kim.pk),
        InternationalPage.objects.get(pk=fresh.pk),
        at=go_live_at,
    )

    [run] = task_runs.wait_for(APPLY, release.pk)
    assert run.retval == actions.PUBLISHED
    assert state_of(release) == ReleaseState.PUBLISHED
    page = InternationalPage.objects.get(pk=page_tx.pk)
    fresh = InternationalPage.objects.get(pk=fresh.pk)
    assert page.title == "Vänorter och Rockford" and fresh.live
    assert Contact.objects.get(pk=kim.pk).live_revision_id == revision.pk
    # One instant for all: never before it, and every stamp on it.
    assert page.last_published_at == fresh.last_published_at == go_live_at
    assert PageLogEntry.objects.filter(action="wagtail.publish.scheduled").count() == 2
    entries = PageLogEntry.objects.filter(action="wagtail.publish.scheduled")
    assert {entry.timestamp for entry in entries} == {go_live_at}
    assert ModelLogEntry.objects.get(action="wagtail.publish.scheduled").timestamp == go_live_at
    # The contact's pages were stamped in the release's own transaction.
    for page_id in (page.pk, fresh.pk):
        assert PageUpdateStamp.objects.get(page_id=page_id).updated_at == go_live_at


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_applies_nothing_then_the_sweep_applies_it_once(
    worker_process, page_tx, broker, task_runs
):
    admin = make_admin()
    old_title = page_tx.title
    draft_of(page_tx, title="Publicerad efter kraschen")
    second = make_page(title="Andra sidan")
    draft_of(second, title="Andra sidan, ändrad")
    release = build_release(
        admin,
        InternationalPage.objects.get(pk=page_tx.pk),
        InternationalPage.objects.get(pk=second.pk),
        at=timezone.now() + timedelta(hours=1),
    )
    # Due a minute ago; its task is the one the worker is about to run.
    go_live_at = timezone.now() - timedelta(seconds=60)
    Release.objects.filter(pk=release.pk).update(go_live_at=go_live_at)

    process = worker_process()
    # Hold the second page's row: the worker, having claimed the release and
    # published the first page, waits in the middle of the release; kill it.
    with row_locked("wagtailcore_page", second.pk):
        release_tasks.queue_release(release.pk, go_live_at)
        waiting = wait_until(lock_waiters, what="the worker's release to wait on the page")
        assert waiting[0].startswith('UPDATE "wagtailcore_page"'), waiting
        process.kill()
    assert process.process.returncode == -9

    # Nothing half-done: the claim went with the rest of the transaction.
    release = Release.objects.get(pk=release.pk)
    assert release.state == ReleaseState.SCHEDULED and release.claimed_at is None
    assert InternationalPage.objects.get(pk=page_tx.pk).title == old_title
    assert not scheduled_publishes().exists()
    assert broker.hlen("unacked") == 1  # given back only after the visibility timeout

    # A worker process again, and the sweep, which finds it overdue.
    restarted = worker_process()
    assert publishing.plan_due() == 1
    wait_until(
        lambda: state_of(release) == ReleaseState.PUBLISHED,
        what="the restarted worker to apply the release",
    )
    restarted.stop()
    assert InternationalPage.objects.get(pk=page_tx.pk).title == "Publicerad efter kraschen"
    assert InternationalPage.objects.get(pk=second.pk).title == "Andra sidan, ändrad"
    assert scheduled_publishes().count() == 2
    # Queued again (a duplicate): nothing more.
    with in_process_worker():
        release_tasks.queue_release(release.pk, go_live_at)
        [run] = task_runs.wait_for(APPLY, release.pk)
    assert run.retval == actions.STALE
    assert scheduled_publishes().count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_failing_item_applies_nothing_and_the_scheduler_is_told_once(
    worker, page_tx, smtp, task_runs
):
    admin = make_admin()
    title = page_tx.title
    draft_of(page_tx, title="Ändrad i utgåvan")
    other = make_page(title="Andra sidan")
    clash = InternationalPage.objects.get(pk=other.pk)
    clash.slug = page_tx.slug  # taken by a sibling: its publish is refused
    clash.save_revision(clean=False)
    go_live_at = timezone.now() + timedelta(seconds=3)
    release = build_release(
        admin,
        InternationalPage.objects.get(pk=page_tx.pk),
        InternationalPage.objects.get(pk=other.pk),
        at=go_live_at,
    )

    [run] = task_runs.wait_for(APPLY, release.pk)
    assert run.retval == actions.FAILED
    release = Release.objects.get(pk=release.pk)
    assert release.state == ReleaseState.FAILED
    assert InternationalPage.objects.get(pk=page_tx.pk).title == title
    assert not scheduled_publishes().exists()
    [message] = wait_until(lambda: smtp.messages(), what="the e-mail")
    assert message["To"] == ADMIN_EMAIL
    assert message["Subject"].strip() == "Utgåvan ”Nytt partnerskap” publicerades inte"
    body = message.get_content()
    assert "inget i den har publicerats" in body
    assert "Sidan ”Andra sidan” kunde inte publiceras: Sluggen" in body
    assert f"/admin/utgavor/{release.pk}/" in body, "a link to the release to mend it"
    assert " CET" in body or " CEST" in body, "its time in Swedish time, said so"

    # The task again (a duplicate, a redelivery): no second e-mail.
    release_tasks.queue_release(release.pk, go_live_at)
    task_runs.wait_for(APPLY, release.pk, count=2)
    assert len(smtp.messages()) == 1


@pytest.mark.django_db(transaction=True)
def test_release_published_is_one_signed_numbered_delivery(
    worker, page_tx, kim, listener, private_allowed, task_runs
):
    admin = make_admin()
    endpoint = make_endpoint(listener.url, events=KINDS)
    draft_of(page_tx, title="Vänorter och Rockford")
    draft_of_contact(kim, phone="0510-77 12 34")
    release = build_release(
        admin,
        InternationalPage.objects.get(pk=page_tx.pk),
        Contact.objects.get(pk=kim.pk),
        at=timezone.now() + timedelta(seconds=3),
    )

    def release_delivery():
        for received in list(listener.received):
            if json.loads(received.body)["type"] == "release.published":
                return received
        return None

    received = wait_until(release_delivery, what="the release.published delivery")
    # The Standard Webhooks verifier accepts it (raises otherwise).
    headers = {name.lower(): value for name, value in received.headers.items()}
    payload = Webhook(endpoint.secret).verify(received.body, headers)
    assert payload["data"]["release"] == {
        "id": release.pk,
        "name": "Nytt partnerskap",
        "go_live_at": payload["data"]["at"],
    }
    assert {(item["type"], item["object_id"]) for item in payload["data"]["items"]} == {
        ("page", page_tx.pk),
        ("contact", kim.pk),
    }
    assert [page["id"] for page in payload["data"]["pages"]] == [page_tx.pk]
    assert headers["webhook-sequence"] == str(payload["sequence"])

    # Every delivery to the endpoint numbered, one more each, in the order
    # written; the release's last, after its objects' own events.
    rows = list(Delivery.objects.filter(endpoint=endpoint).order_by("pk"))
    sequences = [row.sequence for row in rows]
    assert sequences == list(range(1, len(rows) + 1))
    assert rows[-1].event_type == "release.published"
    assert {"page.went_live", "contact.published"} <= {row.event_type for row in rows}
    for row in rows:
        assert json.loads(row.payload)["sequence"] == row.sequence
