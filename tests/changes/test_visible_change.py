"""One event for every change visitors see, sent inside the change's own
transaction, with the pages it touches: publish and unpublish by an editor,
go-live and expiry by the schedule, a contact published or unpublished (the
pages that show it), a stamp moved by itself. A merely scheduled revision is
no change."""

import time
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from wagtail.models import Page

from changes import signals
from intl_pages.models import PageUpdateStamp
from tasks import scheduling
from tests.builders import contacts_block, make_contact, make_page


@pytest.fixture
def events():
    seen = []

    def record(sender, kind, page_ids, contact_id, at, **kwargs):
        seen.append((kind, page_ids, contact_id, connection.in_atomic_block))

    signals.visible_change.connect(record)
    yield seen
    signals.visible_change.disconnect(record)


def kinds(events):
    return [event[0] for event in events]


@pytest.mark.django_db
def test_an_editors_publish_and_unpublish(events):
    page = make_page(title="Vänorter")
    assert (signals.PAGE_PUBLISHED, [page.pk], None) in [e[:3] for e in events]

    events.clear()
    page.unpublish()
    assert kinds(events) == [signals.PAGE_UNPUBLISHED]


@pytest.mark.django_db
def test_a_scheduled_revision_is_no_change_until_it_goes_live(events):
    page = make_page(title="Vänorter")
    events.clear()
    # Wagtail publishes a revision only once its go-live has passed on the
    # real clock: a second from now.
    go_live_at = timezone.now() + timedelta(seconds=1)
    page.title = "Vänorter och partner"
    page.go_live_at = go_live_at
    revision = page.save_revision()
    revision.publish()
    assert signals.PAGE_PUBLISHED not in kinds(events)
    time.sleep(max(0, (go_live_at - timezone.now()).total_seconds()) + 0.05)

    outcome = scheduling.publish_scheduled_revision(revision.pk, scheduling.as_iso(go_live_at))

    assert outcome.status == scheduling.PUBLISHED
    assert (signals.PAGE_WENT_LIVE, [page.pk], None, True) in events


@pytest.mark.django_db
def test_an_expiry_by_the_schedule(events):
    expire_at = timezone.now() + timedelta(minutes=5)
    page = make_page(title="Vänorter", expire_at=expire_at)
    events.clear()
    page_type = ContentType.objects.get_for_model(Page).pk

    scheduling.expire_scheduled_object(
        page_type, page.pk, scheduling.as_iso(expire_at), now=expire_at
    )

    assert (signals.PAGE_EXPIRED, [page.pk], None, True) in events
    assert signals.PAGE_UNPUBLISHED not in kinds(events)


@pytest.mark.django_db
def test_a_contact_change_names_the_pages_that_show_it(events):
    contact = make_contact("Kim Exempelsson")
    showing = make_page(title="Vänorter", body=[contacts_block(contact)])
    make_page(title="Skolor")
    events.clear()

    contact.name = "Kim Exempelsson-Berg"
    contact.save_revision().publish()
    assert (signals.CONTACT_PUBLISHED, [showing.pk], contact.pk) in [e[:3] for e in events]

    events.clear()
    contact.unpublish()
    assert [e[:3] for e in events] == [(signals.CONTACT_UNPUBLISHED, [showing.pk], contact.pk)]


@pytest.mark.django_db
def test_a_stamp_moved_forward_and_not_back(events, django_capture_on_commit_callbacks):
    # Committed: a stamp moved in the set that published the page is part of
    # the publish (test_changeset.py).
    with django_capture_on_commit_callbacks(execute=True):
        page = make_page(title="Vänorter")
    events.clear()
    later = timezone.now() + timedelta(minutes=1)

    assert PageUpdateStamp.objects.move_forward(page.pk, later)
    assert not PageUpdateStamp.objects.move_forward(page.pk, later - timedelta(seconds=30))

    assert [e[:2] for e in events] == [(signals.STAMP_MOVED, [page.pk])]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        signals.announce("page.renamed", [1])


@pytest.mark.django_db
def test_a_page_made_private_is_gone_for_visitors_and_back_when_public(events):
    from wagtail.models import PageViewRestriction

    page = make_page(title="Vänorter")
    events.clear()

    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.LOGIN
    )
    assert [e[:2] for e in events] == [(signals.PAGE_UNPUBLISHED, [page.pk])]

    events.clear()
    restriction.delete()
    assert [e[:2] for e in events] == [(signals.PAGE_PUBLISHED, [page.pk])]
