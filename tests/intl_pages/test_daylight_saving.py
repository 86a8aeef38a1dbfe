"""Schedules across Stockholm's daylight-saving nights: stored in UTC, and a
wall-clock time that does not exist or happens twice is refused with a clear
Swedish message instead of a guess."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from wagtail.models import Revision

from intl_pages.forms import daylight_saving_problem
from intl_pages.models import Contact

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(
    "wall_clock, problem",
    [
        (datetime(2027, 3, 28, 2, 30), "missing"),  # spring forward 02:00 -> 03:00
        (datetime(2027, 10, 31, 2, 30), "ambiguous"),  # fall back 03:00 -> 02:00
        (datetime(2026, 10, 25, 2, 0), "ambiguous"),
        (datetime(2027, 3, 28, 1, 59), None),
        (datetime(2027, 3, 28, 3, 0), None),
        (datetime(2027, 10, 31, 3, 0), None),
    ],
)
def test_daylight_saving_problem(wall_clock, problem):
    assert daylight_saving_problem(wall_clock, STOCKHOLM) == problem


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("redaktor", "r@example.org", "lösenord-123")
    client.force_login(user)
    return client


@pytest.fixture
def contact(db):
    contact = Contact.objects.create(
        name="Kim Exempelsson", title="Utvecklingsledare", unit="Samhälle",
        phone="031-390 06 01", email="kim@example.org",
    )  # fmt: skip
    contact.save_revision().publish()
    return contact


def schedule_contact(client, contact, go_live_at):
    url = reverse("wagtailsnippets_intl_pages_contact:edit", args=[contact.pk])
    return client.post(
        url,
        {
            "name": contact.name,
            "title": contact.title,
            "unit": contact.unit,
            "phone": "031-390 06 09",
            "email": contact.email,
            "go_live_at": go_live_at,
            "expire_at": "",
            "action-publish": "action-publish",
        },
    )


def test_a_time_that_does_not_exist_is_refused(admin_client, contact):
    response = schedule_contact(admin_client, contact, "2027-03-28 02:30")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Klockan 02:30 finns inte den 2027-03-28" in html
    assert not Revision.objects.filter(approved_go_live_at__isnull=False).exists()
    assert Contact.objects.get(pk=contact.pk).phone == "031-390 06 01"


def test_a_time_that_happens_twice_is_refused(admin_client, contact):
    response = schedule_contact(admin_client, contact, "2027-10-31 02:30")
    assert response.status_code == 200
    assert "Klockan 02:30 inträffar två gånger den 2027-10-31" in response.content.decode()
    assert not Revision.objects.filter(approved_go_live_at__isnull=False).exists()


@pytest.mark.parametrize(
    "entered, utc",
    [
        # Entered in winter for a summer morning: CEST is UTC+2.
        ("2027-03-28 03:30", datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
        ("2027-03-28 01:30", datetime(2027, 3, 28, 0, 30, tzinfo=UTC)),
        # After the autumn change: CET is UTC+1.
        ("2027-10-31 03:30", datetime(2027, 10, 31, 2, 30, tzinfo=UTC)),
    ],
)
def test_a_schedule_across_the_change_is_stored_in_utc(admin_client, contact, entered, utc):
    response = schedule_contact(admin_client, contact, entered)
    assert response.status_code == 302
    revision = Revision.objects.get(approved_go_live_at__isnull=False)
    assert revision.approved_go_live_at == utc
    # Still the old number until the time comes.
    assert Contact.objects.get(pk=contact.pk).phone == "031-390 06 01"
