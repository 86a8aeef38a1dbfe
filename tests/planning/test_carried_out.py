"""Wagtail #13896: a go-live or expiry once carried out is forgotten by the
object, so that its edit form no longer shows it as planned and the next save
does not fail with "Invalid schedule" (an expiry in the past)."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page
from wagtail.users.models import UserProfile

from intl_pages.forms import SCHEDULE_HELP
from tasks import scheduling
from tests.builders import make_contact, make_page
from tests.intl_pages.admin_forms import (
    contact_data,
    contact_edit_url,
    edit_form_data,
    edit_url,
    field_input,
    make_user,
)
from tests.tasks.support import fetch_contact, fetch_page, seconds_from_now, sleep_until

pytestmark = pytest.mark.django_db


def test_a_page_gone_live_and_expired_saves_again(client):
    admin = make_user("admin", superuser=True)
    client.force_login(admin)
    page = make_page(title="Vänorter", live=False)
    go_live_at = seconds_from_now(1).replace(microsecond=0) + timedelta(seconds=1)
    expire_at = go_live_at + timedelta(seconds=1)
    page = fetch_page(page.pk)
    page.go_live_at, page.expire_at = go_live_at, expire_at
    revision = page.save_revision(user=admin)
    revision.publish(user=admin)

    sleep_until(go_live_at)
    outcome = scheduling.publish_scheduled_revision(revision.pk, scheduling.as_iso(go_live_at))
    assert outcome.status == scheduling.PUBLISHED
    page = fetch_page(page.pk)
    assert page.live and page.go_live_at is None and page.expire_at == expire_at
    form = client.get(edit_url(page))
    assert field_input(form, "go_live_at").get("value") in (None, "")

    sleep_until(expire_at)
    content_type = ContentType.objects.get_for_model(Page)
    outcome = scheduling.expire_scheduled_object(
        content_type.pk, page.pk, scheduling.as_iso(expire_at)
    )
    assert outcome.status == scheduling.EXPIRED
    page = fetch_page(page.pk)
    assert not page.live and page.expired and page.expire_at is None

    form = client.get(edit_url(page))
    assert field_input(form, "expire_at").get("value") in (None, "")
    assert "Invalid schedule" not in form.content.decode()
    assert "Ogiltigt schema" not in form.content.decode()
    response = client.post(edit_url(page), edit_form_data(client, page, title="Vänorter igen"))
    assert response.status_code == 302, response.context["form"].errors
    assert fetch_page(page.pk).get_latest_revision_as_object().title == "Vänorter igen"


def test_a_contact_expired_saves_again(client):
    admin = make_user("admin", superuser=True)
    client.force_login(admin)
    contact = make_contact()
    expire_at = seconds_from_now(1).replace(microsecond=0) + timedelta(seconds=1)
    contact.expire_at = expire_at
    contact.save_revision(user=admin).publish(user=admin)

    sleep_until(expire_at)
    content_type = ContentType.objects.get_for_model(type(contact))
    outcome = scheduling.expire_scheduled_object(
        content_type.pk, contact.pk, scheduling.as_iso(expire_at)
    )
    assert outcome.status == scheduling.EXPIRED
    contact = fetch_contact(contact.pk)
    assert contact.expire_at is None

    form = client.get(contact_edit_url(contact))
    assert field_input(form, "expire_at").get("value") in (None, "")
    response = client.post(contact_edit_url(contact), contact_data(contact, phone="0510-77 00 01"))
    assert response.status_code == 302


def test_the_scheduling_panels_say_swedish_time(client):
    admin = make_user("admin", superuser=True)
    client.force_login(admin)
    page = make_page(title="Vänorter")
    contact = make_contact()
    assert SCHEDULE_HELP.startswith("Svensk tid, CET/CEST")
    for url in (edit_url(page), contact_edit_url(contact)):
        assert SCHEDULE_HELP in client.get(url).content.decode()


def test_every_editor_works_in_stockholm_time(settings):
    assert settings.WAGTAIL_USER_TIME_ZONES == ["Europe/Stockholm"]
    admin = make_user("admin", superuser=True)

    # A zone chosen before the pin would still be used: the migration forgets it.
    profile = UserProfile.get_for_user(admin)
    profile.current_time_zone = "UTC"
    profile.save()
    migration = importlib.import_module("planning.migrations.0002_stockholm_time_for_every_editor")
    migration.forget_chosen_time_zones(django_apps, None)
    profile.refresh_from_db()
    assert profile.current_time_zone == ""
    assert profile.get_current_time_zone() == "Europe/Stockholm"
