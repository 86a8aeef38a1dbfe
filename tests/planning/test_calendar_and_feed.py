"""The calendar (a week and a month of the same rows, as tables with text
labels and links) and each editor's iCalendar feed at a secret address that
renewing replaces."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from icalendar import Calendar

from headless.schedule_changes import change_schedule
from planning.views import new_feed_secret
from tests.builders import make_page

pytestmark = pytest.mark.django_db

CALENDAR = "/admin/reports/schemalagt/kalender/"
FEED_SETTINGS = "/admin/reports/schemalagt/prenumeration/"


def cells(html):
    """{date: text} of each day's cell."""
    found = {}
    for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S):
        day = re.search(r'<time datetime="(\d{4}-\d{2}-\d{2})">', cell)
        if day:
            found[day.group(1)] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell))
    return found


@pytest.fixture
def scheduled(moderator):
    page = make_page(title="Vänorter i Europa", live=False)
    # 2030-03-31 is the night to summer time: 01:30 UTC is 03:30 CEST.
    change_schedule(page, moderator, go_live_at=datetime(2030, 3, 31, 1, 30, tzinfo=UTC))
    return page


def test_the_week_places_a_change_on_its_swedish_day(client, moderator, scheduled):
    client.force_login(moderator)
    response = client.get(CALENDAR, {"vy": "vecka", "datum": "2030-03-27"})
    assert response.status_code == 200
    html = response.content.decode()
    days = cells(html)
    assert sorted(days) == [f"2030-03-{day}" for day in range(25, 32)]
    assert "Vänorter i Europa" in days["2030-03-31"]
    assert "2030-03-31 03:30 CEST (01:30 UTC)" in days["2030-03-31"]
    assert "publiceras" in days["2030-03-31"]  # a word, not a colour
    assert "Vecka 13 2030" in html
    assert '<th scope="col">Söndag</th>' in html
    assert f'<a href="/admin/pages/{scheduled.pk}/edit/">Vänorter i Europa</a>' in html


def test_the_month_and_its_neighbours(client, moderator, scheduled):
    client.force_login(moderator)
    html = client.get(CALENDAR, {"vy": "manad", "datum": "2030-03-10"}).content.decode()
    days = cells(html)
    assert "Mars 2030" in html
    assert "2030-03-01" in days and "2030-03-31" in days
    assert "Vänorter i Europa" in days["2030-03-31"]
    assert "datum=2030-02-01" in html and "datum=2030-04-01" in html
    april = client.get(CALENDAR, {"vy": "manad", "datum": "2030-04-10"}).content.decode()
    assert "Vänorter i Europa" not in cells(april).get("2030-04-10", "")
    # The list's filters hold in the calendar, and in its links.
    contacts = client.get(CALENDAR, {"vy": "manad", "datum": "2030-03-10", "typ": "contact"})
    assert "Vänorter i Europa" not in contacts.content.decode()
    assert "typ=contact" in contacts.content.decode()
    # A bad date shows today's week, not an error.
    assert client.get(CALENDAR, {"datum": "i morgon"}).status_code == 200


def test_the_feed_at_a_secret_address(client, moderator, plan):
    client.force_login(moderator)
    response = client.post(FEED_SETTINGS)
    assert response.status_code == 200
    address = re.search(r'value="(http://[^"]+\.ics)"', response.content.decode()).group(1)
    path = address.split("testserver", 1)[1]

    anonymous = Client()
    feed = anonymous.get(path)
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        "Publiceras: Vänorter i Europa (sida)",
        "Avpubliceras: Gammalt avtal (sida)",
        f"Avpubliceras: {plan['contact']} (kontaktperson)",
    }
    start = events["Publiceras: Vänorter i Europa (sida)"]["dtstart"].dt
    assert start.utcoffset() == timedelta(0)
    go_live = plan["page"].revisions.get(approved_go_live_at__isnull=False).approved_go_live_at
    assert start == go_live
    assert "/admin/pages/" in str(events["Publiceras: Vänorter i Europa (sida)"]["url"])
    assert len({str(e["uid"]) for e in events.values()}) == 3


def test_renewing_makes_the_old_address_404(moderator, plan):
    old = new_feed_secret(moderator)
    client = Client()
    assert client.get(f"/kalender/{old}/schemalagt.ics").status_code == 200
    new = new_feed_secret(moderator)
    assert client.get(f"/kalender/{old}/schemalagt.ics").status_code == 404
    assert client.get(f"/kalender/{new}/schemalagt.ics").status_code == 200
    assert client.get("/kalender/gissat/schemalagt.ics").status_code == 404


def test_the_feed_shows_only_what_its_editor_may_see(plan, db):
    from django.contrib.auth import get_user_model

    outsider = get_user_model().objects.create_user("besokare")
    secret = new_feed_secret(outsider)
    feed = Client().get(f"/kalender/{secret}/schemalagt.ics")
    assert Calendar.from_ical(feed.content).walk("VEVENT") == []


def test_an_inactive_editors_feed_is_gone(moderator, plan):
    secret = new_feed_secret(moderator)
    moderator.is_active = False
    moderator.save()
    assert Client().get(f"/kalender/{secret}/schemalagt.ics").status_code == 404


def test_times_around_the_autumn_night(moderator):
    # 2030-10-27: 00:30 UTC is 02:30 CEST, 01:30 UTC is 02:30 CET.
    first = make_page(title="Före", live=False)
    second = make_page(title="Efter", live=False)
    change_schedule(first, moderator, go_live_at=datetime(2030, 10, 27, 0, 30, tzinfo=UTC))
    change_schedule(second, moderator, go_live_at=datetime(2030, 10, 27, 1, 30, tzinfo=UTC))
    client = Client()
    client.force_login(moderator)
    html = client.get(CALENDAR, {"datum": "2030-10-27"}).content.decode()
    day = cells(html)["2030-10-27"]
    assert "2030-10-27 02:30 CEST (00:30 UTC)" in day
    assert "2030-10-27 02:30 CET (01:30 UTC)" in day
    assert day.index("Före") < day.index("Efter")
