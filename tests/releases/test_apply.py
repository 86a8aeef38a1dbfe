"""Applying a release, the domain function itself (releases.actions): every
item at the instant or none, the stamps at the instant, conflicts from a
direct publish, a failing item, an object in one scheduled release at most,
the queries per item."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import ModelLogEntry, PageLogEntry, Revision

from intl_pages.models import Contact, InternationalPage, PageUpdateStamp
from releases import actions
from releases.models import ReleaseItem, ReleaseState
from tasks import scheduling
from tests.builders import make_page

from .support import (
    draft_of,
    draft_of_contact,
    fetch,
    new_page,
    scheduled_release,
)


def stamp_of(page):
    return PageUpdateStamp.objects.get(page_id=page.pk).updated_at


def apply(release):
    return actions.apply_release(release.pk, actions.as_iso(release.go_live_at))


@pytest.mark.django_db
def test_every_item_goes_live_at_the_instant_and_every_stamp_moves_to_it(page_db, admin):
    kim = Contact.objects.get(name__startswith="Kim")
    old = make_page(title="Gammalt avtal")
    draft_of(page_db, title="Vänorter och ett nytt partnerskap")
    kim_revision = draft_of_contact(kim, phone="0510-77 12 34")
    fresh = new_page("Rockford")
    release = scheduled_release(
        admin,
        InternationalPage.objects.get(pk=page_db.pk),
        Contact.objects.get(pk=kim.pk),
        InternationalPage.objects.get(pk=fresh.pk),
        (InternationalPage.objects.get(pk=old.pk), "unpublish"),
    )
    instant = release.go_live_at

    assert apply(release) == actions.Outcome(actions.PUBLISHED)

    page = InternationalPage.objects.get(pk=page_db.pk)
    assert page.title == "Vänorter och ett nytt partnerskap"
    assert page.last_published_at == instant
    assert Contact.objects.get(pk=kim.pk).live_revision_id == kim_revision.pk
    fresh = InternationalPage.objects.get(pk=fresh.pk)
    assert fresh.live and fresh.first_published_at == fresh.last_published_at == instant
    assert not InternationalPage.objects.get(pk=old.pk).live
    # "Senast uppdaterad": the page itself and the new page, at the instant,
    # although it shows Kim, whose publish was logged a moment later.
    assert stamp_of(page) == instant
    assert stamp_of(fresh) == instant
    entry = PageLogEntry.objects.get(page=page, action="wagtail.publish.scheduled")
    assert entry.timestamp == instant
    contact_entry = ModelLogEntry.objects.get(
        object_id=str(kim.pk), action="wagtail.publish.scheduled"
    )
    assert contact_entry.timestamp == instant
    release = fetch(release)
    assert release.state == ReleaseState.PUBLISHED
    assert release.published_at == instant
    assert not release.items.filter(in_scheduled_release=True).exists()

    # A second run (a duplicate task) does nothing.
    assert apply(release) == actions.Outcome(actions.STALE)
    assert PageLogEntry.objects.filter(page=page, action="wagtail.publish.scheduled").count() == 1


@pytest.mark.django_db
def test_a_direct_publish_puts_the_release_in_conflict_until_the_item_is_pinned_again(
    page_db, admin
):
    draft_of(page_db, title="Vänorter i utgåvan")
    later = timezone.now() + timedelta(hours=1)
    release = scheduled_release(admin, InternationalPage.objects.get(pk=page_db.pk), at=later)
    assert actions.conflicts(release) == {}
    assert actions.release_of(page_db) == (release, None)

    # An editor publishes the page directly.
    draft_of(page_db, title="Vänorter publicerad direkt").publish()

    [(item_id, reason)] = actions.conflicts(release).items()
    assert "har publicerats eller avpublicerats direkt" in reason
    assert "Vänorter" in reason
    held_by, why = actions.release_of(InternationalPage.objects.get(pk=page_db.pk))
    assert held_by == release and why == reason

    # Left so, the release fails at its time and publishes nothing.
    release.items.update()  # unchanged
    type(release).objects.filter(pk=release.pk).update(go_live_at=timezone.now())
    release = fetch(release)
    assert apply(release) == actions.Outcome(actions.FAILED)
    release = fetch(release)
    assert release.state == ReleaseState.FAILED
    assert release.failure_reasons == {"items": {str(item_id): reason}}
    assert InternationalPage.objects.get(pk=page_db.pk).title == "Vänorter publicerad direkt"

    # Pinned again (the newest draft): no conflict.
    actions.add_item(release, InternationalPage.objects.get(pk=page_db.pk), admin)
    assert actions.conflicts(release) == {}


@pytest.mark.django_db
def test_written_ahead_of_the_instant_and_a_conflict_mended_meanwhile_is_no_failure(page_db, admin):
    draft_of(page_db, title="Vänorter i utgåvan")
    soon = timezone.now() + timedelta(seconds=2)
    release = scheduled_release(admin, InternationalPage.objects.get(pk=page_db.pk), at=soon)
    draft_of(page_db, title="Vänorter publicerad direkt").publish()  # a conflict
    waits = []

    def sleep(seconds):
        # Ahead of the instant the release found the conflict and rolled
        # back; before it tries again at the instant, an editor re-pins.
        if not waits:
            draft_of(page_db, title="Vänorter, ny version i utgåvan")
            actions.add_item(release, InternationalPage.objects.get(pk=page_db.pk), admin)
        waits.append(seconds)

    outcome = actions.apply_release(release.pk, actions.as_iso(soon), sleep=sleep)
    assert outcome == actions.Outcome(actions.PUBLISHED), "no failure before the instant"
    assert waits, "it waited for the instant"
    page = InternationalPage.objects.get(pk=page_db.pk)
    assert page.title == "Vänorter, ny version i utgåvan"
    assert page.last_published_at == soon, "stamped with the instant, though written ahead"


@pytest.mark.django_db
def test_an_item_that_fails_while_publishing_leaves_everything_as_it_was(page_db, admin):
    title = page_db.title
    stamp = stamp_of(page_db)
    draft_of(page_db, title="Ändrad i utgåvan")
    other = make_page(title="Andra sidan")
    # Its slug taken by a sibling: Wagtail's publish refuses it (after the
    # first item has been written).
    clash = InternationalPage.objects.get(pk=other.pk)
    clash.slug = page_db.slug
    clash.save_revision(clean=False)
    release = scheduled_release(
        admin,
        InternationalPage.objects.get(pk=page_db.pk),
        InternationalPage.objects.get(pk=other.pk),
    )

    assert apply(release) == actions.Outcome(actions.FAILED)

    page = InternationalPage.objects.get(pk=page_db.pk)
    assert page.title == title
    assert stamp_of(page) == stamp
    assert not PageLogEntry.objects.filter(action="wagtail.publish.scheduled").exists()
    release = fetch(release)
    assert release.state == ReleaseState.FAILED
    clash_item = release.items.get(object_id=str(other.pk))
    [(item_id, reason)] = release.failure_reasons["items"].items()
    assert item_id == str(clash_item.pk)
    assert reason.startswith("Sidan ”Andra sidan” kunde inte publiceras:")


@pytest.mark.django_db
def test_a_deleted_object_or_revision_fails_the_release_with_a_reason_each(page_db, admin):
    kim = Contact.objects.get(name__startswith="Kim")
    draft_of(page_db, title="Ändrad i utgåvan")
    revision = draft_of_contact(kim, phone="0510-77 55 55")
    gone = make_page(title="Försvinner")
    release = scheduled_release(
        admin,
        InternationalPage.objects.get(pk=page_db.pk),
        Contact.objects.get(pk=kim.pk),
        (InternationalPage.objects.get(pk=gone.pk), "unpublish"),
    )
    InternationalPage.objects.get(pk=gone.pk).delete()
    Revision.objects.filter(pk=revision.pk).delete()

    assert apply(release) == actions.Outcome(actions.FAILED)

    reasons = fetch(release).failure_reasons["items"]
    by_object = {item.object_id: reasons.get(str(item.pk)) for item in release.items.all()}
    assert by_object[str(page_db.pk)] is None
    assert "finns inte längre" in by_object[str(gone.pk)]
    assert "Versionen som skulle publiceras" in by_object[str(kim.pk)]
    assert InternationalPage.objects.get(pk=page_db.pk).title != "Ändrad i utgåvan"


@pytest.mark.django_db
def test_an_object_is_in_one_scheduled_release_at_most(page_db, admin):
    later = timezone.now() + timedelta(hours=1)
    page = InternationalPage.objects.get(pk=page_db.pk)
    first = scheduled_release(admin, page, at=later, name="Första")
    second = actions.create_release("Andra", admin)
    actions.add_item(second, page, admin)  # a draft may hold it

    with pytest.raises(actions.Taken, match="ingår redan i utgåvan ”Första”"):
        actions.schedule_release(second, later, admin)
    third = scheduled_release(admin, at=later, name="Tredje")
    with pytest.raises(actions.Taken):
        actions.add_item(third, page, admin)
    # The database says so too, whoever writes the rows.
    item = first.items.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReleaseItem.objects.create(
            release=third,
            content_type=item.content_type,
            object_id=item.object_id,
            revision=item.revision,
            in_scheduled_release=True,
        )
    # Cancelled, it lets go.
    actions.cancel_release(first)
    assert actions.schedule_release(second, later, admin).state == ReleaseState.SCHEDULED


@pytest.mark.django_db
def test_a_claimed_release_takes_no_more_changes(page_db, admin):
    release = scheduled_release(admin, InternationalPage.objects.get(pk=page_db.pk))
    apply(release)
    with pytest.raises(actions.Closed, match="Utgåvan är redan publicerad"):
        actions.add_item(release, make_page(title="För sent"), admin)
    with pytest.raises(actions.Closed):
        actions.cancel_release(release)


@pytest.mark.django_db
def test_sqlite_caps_a_release(page_db, admin, settings, monkeypatch):
    settings.RELEASE_MAX_ITEMS_SQLITE = 1
    monkeypatch.setattr(connection, "vendor", "sqlite")
    release = actions.create_release("Liten", admin)
    actions.add_item(release, InternationalPage.objects.get(pk=page_db.pk), admin)
    # Re-pinning what is there is no new item.
    actions.add_item(release, InternationalPage.objects.get(pk=page_db.pk), admin)
    with pytest.raises(actions.ReleaseError, match="högst 1 ändringar"):
        actions.add_item(release, make_page(title="En till"), admin)


def _pages(count, prefix):
    pages = []
    for number in range(count):
        page = make_page(title=f"{prefix} {number}")
        draft_of(page, title=f"{prefix} {number}, ändrad")
        pages.append(InternationalPage.objects.get(pk=page.pk))
    return pages


def _queries(func):
    with CaptureQueriesContext(connection) as queries:
        func()
    return len(queries)


@pytest.mark.django_db
def test_an_item_costs_no_more_queries_than_a_single_scheduled_publish(page_db, admin):
    small = scheduled_release(admin, *_pages(1, "Liten"), name="Liten")
    large = scheduled_release(admin, *_pages(4, "Stor"), name="Stor")
    [single] = _pages(1, "Ensam")
    revision = single.latest_revision
    at = timezone.now() - timedelta(seconds=1)
    Revision.objects.filter(pk=revision.pk).update(approved_go_live_at=at)

    one = _queries(lambda: apply(small))
    four = _queries(lambda: apply(large))
    alone = _queries(
        lambda: scheduling.publish_scheduled_revision(revision.pk, scheduling.as_iso(at))
    )

    assert fetch(large).state == ReleaseState.PUBLISHED
    per_item = (four - one) / 3
    assert per_item <= alone, (one, four, alone)
