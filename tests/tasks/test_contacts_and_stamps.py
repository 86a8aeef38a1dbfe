"""A contact's scheduled publish and expiry, and the "Senast uppdaterad" stamp
of the pages that show it: Wagtail's reference index finds the pages, and
the contact's change moves their stamps in its own transaction (the real
worker's, for a scheduled one); the rendered page shows what was
published."""

from datetime import datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry

from intl_pages import stamps
from intl_pages.models import Contact, PageUpdateStamp
from tasks import publishing, scheduling

from .support import PAGE_URL, fetch_contact, seconds_from_now, wait_until


def stamp_of(page):
    return PageUpdateStamp.objects.get(page_id=page.pk).updated_at


def contact_log(contact, action):
    return ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=str(contact.pk),
        action=action,
    )


def rendered():
    """The page as a visitor gets it: its HTML, and the stamp it shows."""
    response = Client().get(PAGE_URL)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    shown = None
    for dt in soup.select("footer.page-meta dt"):
        if dt.get_text(strip=True) == "Senast uppdaterad:":
            shown = datetime.fromisoformat(dt.find_next_sibling("dd").time["datetime"])
    return response.content.decode(), shown


@pytest.mark.django_db(transaction=True)
def test_contact_goes_live_at_its_time_and_moves_the_page_stamp(worker, page_tx, kim, task_runs):
    stamp_before = stamp_of(page_tx)
    contact = fetch_contact(kim.pk)
    old_phone = contact.phone
    contact.phone = "0510-77 12 34"
    go_live_at = seconds_from_now(3)
    contact.go_live_at = go_live_at
    revision = contact.save_revision()
    revision.publish()
    revision.refresh_from_db()
    assert revision.approved_go_live_at == go_live_at

    html, shown = rendered()
    if timezone.now() < go_live_at:
        assert old_phone in html and "0510-77 12 34" not in html
        assert shown == stamp_before

    contact = wait_until(
        lambda: (c := fetch_contact(kim.pk)).phone == "0510-77 12 34" and c,
        what="the contact's new phone",
    )
    assert contact.live and contact.live_revision_id == revision.pk
    assert contact.last_published_at >= go_live_at, "published before its time"
    assert contact_log(contact, "wagtail.publish.scheduled").count() == 1

    # The stamp of the page that shows the contact moved with the publish.
    assert stamp_of(page_tx) == contact.last_published_at > stamp_before
    html, shown = rendered()
    assert "0510-77 12 34" in html and old_phone not in html
    assert shown == contact.last_published_at


@pytest.mark.django_db(transaction=True)
def test_contact_expires_at_its_time_and_leaves_the_page(worker, page_tx, kim, alex, task_runs):
    contact = fetch_contact(kim.pk)
    expire_at = seconds_from_now(3)
    contact.expire_at = expire_at
    contact.save_revision().publish()
    published_at = fetch_contact(kim.pk).last_published_at
    assert kim.name in rendered()[0]

    contact = wait_until(
        lambda: not (c := fetch_contact(kim.pk)).live and c, what="the contact to expire"
    )
    assert contact.expired
    [entry] = contact_log(contact, "wagtail.unpublish.scheduled")
    assert entry.timestamp >= expire_at, "expired before its time"
    [run] = task_runs.wait_for("tasks.expire_object")
    assert run.retval == scheduling.EXPIRED

    # The expiry moved the stamp in its own transaction.
    stamp = stamp_of(page_tx)
    assert stamp >= expire_at > published_at
    html, shown = rendered()
    assert kim.name not in html
    assert alex.name in html  # the other contact stays
    assert shown == stamp


@pytest.mark.django_db(transaction=True)
def test_only_what_visitors_see_moves_the_stamp(worker, page_tx, kim, task_runs):
    stamp_before = stamp_of(page_tx)

    # A draft: saved, not published. Nothing the visitor sees changed.
    contact = fetch_contact(kim.pk)
    old_phone = contact.phone
    contact.phone = "0510-77 99 99"
    draft = contact.save_revision()
    # The worker has run everything queued before this task when it runs it.
    publishing.sweep_schedule.delay()
    task_runs.wait_for("tasks.sweep_schedule")
    assert stamp_of(page_tx) == stamp_before
    html, shown = rendered()
    assert old_phone in html and "0510-77 99 99" not in html
    assert shown == stamp_before

    # Publishing the draft does move it.
    draft.publish()
    contact = fetch_contact(kim.pk)
    assert stamp_of(page_tx) == contact.last_published_at > stamp_before
    html, shown = rendered()
    assert "0510-77 99 99" in html and shown == contact.last_published_at

    # So does unpublishing the contact.
    published_stamp = stamp_of(page_tx)
    contact.unpublish()
    assert stamp_of(page_tx) > published_stamp
    html, shown = rendered()
    assert kim.name not in html and shown == stamp_of(page_tx)


@pytest.mark.django_db(transaction=True)
def test_a_contacts_publish_needs_no_task_for_the_stamps(page_tx, kim, broker):
    stamp_before = stamp_of(page_tx)
    broker.flushdb()
    contact = fetch_contact(kim.pk)
    contact.phone = "0510-77 55 55"
    contact.save_revision().publish()
    # No worker, and nothing for one on the scheduling queue: the stamp moved
    # with the publish.
    assert broker.llen(settings.SCHEDULE_QUEUE) == 0
    assert stamp_of(page_tx) == fetch_contact(kim.pk).last_published_at > stamp_before


@pytest.mark.django_db(transaction=True)
def test_reconcile_repairs_a_stamp_left_behind(page_tx, kim, broker):
    contact = fetch_contact(kim.pk)
    contact.phone = "0510-77 55 55"
    contact.save_revision().publish()
    # A stamp set back by hand, or left by a change from before the stamps
    # moved in the change's transaction.
    PageUpdateStamp.objects.filter(page_id=page_tx.pk).update(
        updated_at=stamp_of(page_tx) - timedelta(days=30)
    )

    repaired = stamps.reconcile_all_stamps()

    [publish] = contact_log(kim, "wagtail.publish").order_by("-timestamp")[:1]
    assert [page.pk for page in repaired] == [page_tx.pk]
    assert stamp_of(page_tx) == publish.timestamp
    assert rendered()[1] == publish.timestamp
    # A second run changes nothing.
    assert stamps.reconcile_all_stamps() == []
    assert stamp_of(page_tx) == publish.timestamp
