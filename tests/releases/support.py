"""Helpers of the release tests."""

from datetime import timedelta

from django.utils import timezone
from wagtail.test.utils import WagtailTestUtils

from intl_pages.models import Contact, InternationalPage
from releases import actions
from releases.models import Release
from tests.builders import make_page
from tests.intl_pages.admin_forms import PASSWORD

ADMIN_EMAIL = "schemalaggare@lidkoping.example.org"


def make_admin(username="schemalaggare"):
    user = WagtailTestUtils.create_superuser(username, email=ADMIN_EMAIL, password=PASSWORD)
    return user


def draft_of(page, **changes):
    """A new draft revision of the page with `changes`, not published."""
    page = InternationalPage.objects.get(pk=page.pk)
    for name, value in changes.items():
        setattr(page, name, value)
    return page.save_revision()


def draft_of_contact(contact, **changes):
    contact = Contact.objects.get(pk=contact.pk)
    for name, value in changes.items():
        setattr(contact, name, value)
    return contact.save_revision()


def new_page(title, live=False):
    """A new page under the home page, never published when `live` is False."""
    return make_page(title=title, live=live)


def scheduled_release(user, *entries, at=None, name="Nytt partnerskap"):
    """A release of `entries` ((object, action) or object), scheduled for
    `at` (default: in a moment, after everything the test built, so that
    the task, prepared already, waits for it). Returns it."""
    release = actions.create_release(name, user)
    for entry in entries:
        obj, action = entry if isinstance(entry, tuple) else (entry, "publish")
        actions.add_item(release, obj, user, action=action)
    at = at or timezone.now() + timedelta(milliseconds=300)
    return actions.schedule_release(release, at, user)


def fetch(release):
    return Release.objects.get(pk=release.pk)
