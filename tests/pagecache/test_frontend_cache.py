"""Wagtail's front-end cache (Varnish here: a real HTTP server taking PURGE
requests) is purged through one thin Celery task on every change visitors
see: the page, its parent, the home page, its API detail and the API's
listings; only where one is configured."""

import pytest
from django.test import override_settings

from tasks import frontend_cache
from tests.builders import contacts_block, make_contact, make_page
from tests.tasks.support import purge_receiver


@pytest.fixture
def page(db, django_capture_on_commit_callbacks):
    # Built as if committed: what the test does next is a change set of its own.
    with django_capture_on_commit_callbacks(execute=True):
        kim = make_contact(name="Kim Exempelsson")
        return make_page(title="Vänorter", body=[contacts_block(kim)])


def varnish(location):
    return {
        "varnish": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": location,
        }
    }


def test_the_urls_that_show_a_page(page):
    root = "http://localhost"
    assert frontend_cache.frontend_urls([page.pk]) == sorted(
        {
            f"{root}/vanorter/",
            f"{root}/",
            f"{root}/api/v3/pages/{page.pk}/",
            f"{root}/api/v3/pages/",
            f"{root}/api/v3/twin-towns/",
            f"{root}/api/v3/contacts/",
        }
    )


def test_the_task_purges_them_from_the_front_end_cache(page):
    with (
        purge_receiver() as (location, purged),
        override_settings(WAGTAILFRONTENDCACHE=varnish(location)),
    ):
        frontend_cache.purge_frontend_cache.run([page.pk])
    assert set(purged) == {
        "/vanorter/",
        "/",
        f"/api/v3/pages/{page.pk}/",
        "/api/v3/pages/",
        "/api/v3/twin-towns/",
        "/api/v3/contacts/",
    }


def test_every_change_queues_the_task_as_it_commits(
    page, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []

    def record(task, args):
        sent.append((task, args))

    monkeypatch.setattr(frontend_cache, "send_or_keep", record)
    with override_settings(WAGTAILFRONTENDCACHE=varnish("http://127.0.0.1:9")):
        with django_capture_on_commit_callbacks(execute=True):
            page.save_revision().publish()
        with django_capture_on_commit_callbacks(execute=True):
            page.unpublish()
    assert sent == [(frontend_cache.purge_frontend_cache, [[page.pk]])] * 2


def test_nothing_is_queued_without_a_front_end_cache(
    page, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(frontend_cache, "send_or_keep", lambda task, args: sent.append(task))
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert sent == []
