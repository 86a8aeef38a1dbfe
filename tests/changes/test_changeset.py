"""The changes of one transaction are one change set, acted on once after the
commit: one purge of the page cache, one front-end purge task, one outbox row
per kind of change and endpoint, in the order the changes happened. A
contact's publish finds the pages that show it once and moves their stamps
in its own transaction; a page moved, a slug changed, a site or a setting
saved are changes like any other."""

import json
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Site

from changes import signals
from changes.changeset import changes_committed
from intl_pages.models import Contact, PageUpdateStamp
from pagecache import store
from tasks import frontend_cache
from tasks import signal_handlers as task_handlers
from tests.builders import contacts_block, make_contact, make_page
from webhooks.models import Delivery, Endpoint, generate_secret

ROOT = Path(__file__).resolve().parent.parent.parent
VARNISH = {
    "varnish": {
        "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
        "LOCATION": "http://127.0.0.1:9",
    }
}


@pytest.fixture
def acted(monkeypatch, settings):
    """What the committed sets did: the page cache's purges, the front-end
    purge tasks queued, the webhook deliveries queued, the sets themselves."""
    seen = {"purges": 0, "frontend": [], "deliveries": [], "sets": []}

    def purge():
        seen["purges"] += 1

    def keep_set(sender, changeset, **kwargs):
        seen["sets"].append([(c.kind, list(c.page_ids), c.contact_id) for c in changeset.changes])

    monkeypatch.setattr(store, "purge", purge)
    monkeypatch.setattr(frontend_cache, "send_or_keep", lambda t, a: seen["frontend"].append(a[0]))
    monkeypatch.setattr(task_handlers, "send_or_keep", lambda t, a: seen["deliveries"].append(a))
    settings.PAGECACHE_ENABLED = True  # (its purge is counted, not run)
    store.reset()
    changes_committed.connect(keep_set)
    yield seen
    changes_committed.disconnect(keep_set)
    store.reset()


def make_endpoint():
    return Endpoint.objects.create(
        url="https://front.example.org/hook", events=list(signals.KINDS), secret=generate_secret()
    )


@pytest.fixture
def endpoint(db):
    return make_endpoint()


def outbox():
    return [
        (row.event_type, [p["id"] for p in json.loads(row.payload)["data"]["pages"]])
        for row in Delivery.objects.order_by("pk")
    ]


@pytest.fixture
def content(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        kim = make_contact("Kim Exempelsson")
        shows_kim = make_page(title="Vänorter", body=[contacts_block(kim)])
        also_kim = make_page(title="Skolor", body=[contacts_block(kim)])
        other = make_page(title="Näringsliv")
    return kim, shows_kim, also_kim, other


@override_settings(WAGTAILFRONTENDCACHE=VARNISH)
def test_a_contacts_publish_is_one_purge_one_task_and_one_delivery(
    content, endpoint, acted, django_capture_on_commit_callbacks
):
    kim, shows_kim, also_kim, other = content
    before = {s.page_id: s.updated_at for s in PageUpdateStamp.objects.all()}

    with django_capture_on_commit_callbacks(execute=True):
        kim = Contact.objects.get(pk=kim.pk)
        kim.phone = "0510-77 12 34"
        kim.save_revision().publish()
        # The stamps moved in the publish's own transaction, to the publish.
        kim.refresh_from_db()
        for page in (shows_kim, also_kim):
            stamp = PageUpdateStamp.objects.get(page_id=page.pk).updated_at
            assert stamp == kim.last_published_at > before[page.pk]
        assert PageUpdateStamp.objects.get(page_id=other.pk).updated_at == before[other.pk]

    pages = sorted([shows_kim.pk, also_kim.pk])
    assert acted["sets"] == [[(signals.CONTACT_PUBLISHED, pages, kim.pk)]]
    assert acted["purges"] == 1
    assert acted["frontend"] == [pages]
    # No page.stamp_moved: the contact's event names the pages.
    assert outbox() == [(signals.CONTACT_PUBLISHED, pages)]
    assert len(acted["deliveries"]) == 1


@override_settings(WAGTAILFRONTENDCACHE=VARNISH)
def test_the_changes_of_one_transaction_are_one_set_in_a_defined_order(
    content, endpoint, acted, django_capture_on_commit_callbacks
):
    kim, shows_kim, also_kim, other = content
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        # A release: two pages and a contact at one instant.
        for page in (other, shows_kim):
            page.title += " (ny)"
            page.save_revision().publish()
        kim = Contact.objects.get(pk=kim.pk)
        kim.save_revision().publish()
        # The sweep moving a stamp of a page the set already names: no
        # change of its own.
        PageUpdateStamp.objects.move_forward(also_kim.pk, timezone.now())

    both = sorted([other.pk, shows_kim.pk])
    shown = sorted([shows_kim.pk, also_kim.pk])
    assert acted["sets"] == [
        [
            (signals.PAGE_PUBLISHED, [other.pk, shows_kim.pk], None),
            (signals.CONTACT_PUBLISHED, shown, kim.pk),
        ]
    ]
    assert acted["purges"] == 1
    assert acted["frontend"] == [sorted({*both, *shown})]
    # One delivery per kind, the pages merged, in the order of the changes.
    assert outbox() == [(signals.PAGE_PUBLISHED, both), (signals.CONTACT_PUBLISHED, shown)]
    assert len(acted["deliveries"]) == 2


def test_a_pages_own_publish_sends_no_stamp_event(
    content, endpoint, acted, django_capture_on_commit_callbacks
):
    _, page, _, _ = content
    with django_capture_on_commit_callbacks(execute=True):
        page.title = "Vänorter i världen"
        page.save_revision().publish()
    assert outbox() == [(signals.PAGE_PUBLISHED, [page.pk])]
    stamp = PageUpdateStamp.objects.get(page_id=page.pk).updated_at
    page.refresh_from_db()
    assert stamp == page.last_published_at
    assert acted["purges"] == 1


def test_a_stamp_moved_alone_is_a_change(
    content, endpoint, acted, django_capture_on_commit_callbacks
):
    _, page, _, _ = content
    with django_capture_on_commit_callbacks(execute=True):
        PageUpdateStamp.objects.move_forward(page.pk, timezone.now())
    assert outbox() == [(signals.STAMP_MOVED, [page.pk])]
    assert acted["purges"] == 1


def test_a_page_moved_is_a_visible_change(
    content, endpoint, acted, django_capture_on_commit_callbacks
):
    _, page, other_parent, _ = content
    with django_capture_on_commit_callbacks(execute=True):
        page.move(other_parent, pos="last-child")
    assert acted["sets"] == [[(signals.PAGE_MOVED, [page.pk], None)]]
    assert outbox() == [(signals.PAGE_MOVED, [page.pk])]
    payload = json.loads(Delivery.objects.get().payload)
    assert payload["data"]["pages"][0]["path"].endswith("/skolor/vanorter/")
    assert acted["purges"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_slug_changed_is_a_visible_change(transactional_db, acted):
    make_endpoint()
    page = make_page(title="Vänorter")
    Delivery.objects.all().delete()
    acted["purges"] = 0

    page.slug = "vanorter-i-varlden"
    page.save_revision().publish()

    # Wagtail's publish is no transaction of its own: it saves the page (the
    # slug, told as that save commits), then says it published.
    assert outbox() == [(signals.PAGE_MOVED, [page.pk]), (signals.PAGE_PUBLISHED, [page.pk])]
    payload = json.loads(Delivery.objects.get(event_type=signals.PAGE_MOVED).payload)
    assert payload["data"]["pages"][0]["path"] == "/vanorter-i-varlden/"
    assert acted["purges"] == 2


def test_a_site_or_a_setting_saved_is_a_visible_change(
    content, endpoint, acted, django_capture_on_commit_callbacks
):
    site = Site.objects.get(is_default_site=True)
    with django_capture_on_commit_callbacks(execute=True):
        site.site_name = "Lidköpings kommun"
        site.save()
    assert acted["sets"] == [[(signals.SITE_CHANGED, [], None)]]
    assert outbox() == [(signals.SITE_CHANGED, [])]
    assert acted["purges"] == 1


def test_rows_a_rolled_back_savepoint_took_with_it_are_written_again(
    content, endpoint, acted, django_capture_on_commit_callbacks
):
    _, page, _, other = content

    class Rollback(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        signals.announce(signals.SITE_CHANGED)  # the set begins out here
        with pytest.raises(Rollback), transaction.atomic():
            page.save_revision().publish()
            assert [kind for kind, _ in outbox()] == [signals.SITE_CHANGED, signals.PAGE_PUBLISHED]
            raise Rollback
        other.save_revision().publish()

    # The page.published rows went with the savepoint; the change merging
    # into it wrote them again, once. (It still names the page whose publish
    # rolled back: a rebuild too many, never one too few.)
    assert [kind for kind, _ in outbox()] == [signals.SITE_CHANGED, signals.PAGE_PUBLISHED]
    assert other.pk in outbox()[1][1]
    assert acted["purges"] == 1


def contact_publish_queries(contact, capture):
    contact = Contact.objects.get(pk=contact.pk)
    contact.phone = "0510-77 00 01"
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        with capture(execute=True):
            contact.save_revision().publish()
    return len(queries)


def test_a_contacts_publish_costs_the_same_queries_for_one_page_and_for_many(
    db, endpoint, acted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        one = make_contact("Kim Exempelsson")
        many = make_contact("Alex Exempelsson")
        make_page(title="Vänorter", body=[contacts_block(one)])
        for n in range(6):
            make_page(title=f"Sida {n}", body=[contacts_block(many)])
    capture = django_capture_on_commit_callbacks
    contact_publish_queries(one, capture)  # warm: content types and sites cached
    assert contact_publish_queries(one, capture) == contact_publish_queries(many, capture)


def test_one_helper_reads_djangos_on_commit_list():
    """The trick "one on-commit callback per transaction" is written once
    (changes/changeset.py, whose Django internals
    tests/tasks/test_django_internals.py pins) and used by the page cache, the
    front-end cache and the django-tasks backend."""
    readers = [
        str(path.relative_to(ROOT))
        for package in ("changes", "pagecache", "tasks", "webhooks", "intl_pages", "headless")
        for path in (ROOT / package).rglob("*.py")
        if "run_on_commit" in path.read_text()
    ]
    assert readers == ["changes/changeset.py"]
    assert "collect(" in (ROOT / "tasks/backends.py").read_text()
