"""The overview's fixtures: a page and a contact, scheduled by a moderator
through the schedule's own function (as the admin's "Publicera" with a time
ahead does), and users with and without the right to publish."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from headless.schedule_changes import change_schedule
from tests.builders import make_contact, make_page
from tests.intl_pages.admin_forms import make_user


def ahead(**delta):
    return (timezone.now() + timedelta(**delta)).replace(microsecond=0).astimezone(UTC)


@pytest.fixture
def moderator(db):
    return make_user("moderator", "Moderators")


@pytest.fixture
def editor(db):
    # Wagtail's Editors: may edit pages and contacts, may publish contacts
    # (migration 0004), may not publish pages.
    return make_user("redaktor", "Editors")


@pytest.fixture
def plan(moderator):
    """A page going live in two days, a contact expiring in one, and a page
    expiring in three, all scheduled by the moderator."""
    going_live = make_page(title="Vänorter i Europa", live=False)
    expiring_page = make_page(title="Gammalt avtal")
    contact = make_contact()
    change_schedule(going_live, moderator, go_live_at=ahead(days=2))
    change_schedule(contact, moderator, expire_at=ahead(days=1))
    change_schedule(expiring_page, moderator, expire_at=ahead(days=3))
    return {"page": going_live, "contact": contact, "old": expiring_page}


def fixed(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# The pipeline's real worker, broker and content (tests/tasks/conftest.py).
from tests.tasks.conftest import (  # noqa: E402, F401
    broker,
    cache_redis,
    content_tx,
    page_tx,
    task_runs,
    worker,
)
