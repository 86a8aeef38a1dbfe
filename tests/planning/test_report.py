"""The admin's "Schemalagt": its rows with Swedish time (CET/CEST) and UTC
written out, its filters, and the actions cancel, move and publish now, which
only a user who may publish the object can take; the dashboard panel."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, PageLogEntry

from planning import failures
from planning.models import EXPIRE, PUBLISH
from planning.rows import scheduled_changes
from tests.builders import make_page
from tests.intl_pages.admin_forms import make_user

pytestmark = pytest.mark.django_db

REPORT = "/admin/reports/schemalagt/"
ACTION = "/admin/reports/schemalagt/atgard/"


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


def test_the_report_is_in_the_reports_menu_and_lists_every_change(moderator_client, plan):
    response = moderator_client.get(REPORT)
    assert response.status_code == 200
    assert reverse("planning_report") == REPORT
    body = text(response)
    assert "Vänorter i Europa" in body and "Gammalt avtal" in body and "Kim Exempelsson" in body
    [page_row] = [row for row in scheduled_changes() if row.action == PUBLISH]
    local = page_row.when.astimezone(timezone.get_default_timezone())
    zone = local.tzname()
    assert zone in ("CET", "CEST")
    written = f"{local:%Y-%m-%d %H:%M} {zone} ({page_row.when:%H:%M} UTC)"
    assert written in body
    iso = page_row.when.isoformat().replace("+00:00", "Z")
    assert f'<time datetime="{iso}">' in response.content.decode()
    assert page_row.compare_url in response.content.decode()
    assert "moderator" in body
    menu = moderator_client.get("/admin/").content.decode()
    assert REPORT in menu


def test_failures_are_on_top_until_marked_as_seen(moderator_client, plan, moderator):
    failure, _ = failures.record_failure(
        plan["old"], EXPIRE, timezone.now() - timedelta(hours=1), "Sidan var låst."
    )
    body = text(moderator_client.get(REPORT))
    assert body.index("Misslyckades") < body.index("Kim Exempelsson")
    assert "Sidan var låst." in body and "Markera som sedd" in body

    response = moderator_client.post(
        reverse("planning_acknowledge", args=[failure.pk]), {"next": REPORT}
    )
    assert response.status_code == 302
    failure.refresh_from_db()
    assert failure.acknowledged_by == moderator and failure.acknowledged_at is not None
    assert "Sidan var låst." not in text(moderator_client.get(REPORT))


def test_filters(moderator_client, plan, moderator):
    body = text(moderator_client.get(REPORT, {"typ": "contact"}))
    assert "Kim Exempelsson" in body and "Gammalt avtal" not in body
    tomorrow = timezone.localdate() + timedelta(days=2)
    body = text(moderator_client.get(REPORT, {"fran": tomorrow.isoformat()}))
    assert "Kim Exempelsson" not in body and "Gammalt avtal" in body
    body = text(moderator_client.get(REPORT, {"schemalagd_av": moderator.pk}))
    assert "Gammalt avtal" in body
    other = make_user("annan", superuser=True)
    body = text(moderator_client.get(REPORT, {"schemalagd_av": other.pk}))
    assert "Inget är schemalagt med de här filtren" in body
    response = moderator_client.get(REPORT, {"fran": "2027-02-01", "till": "2027-01-01"})
    assert response.status_code == 200
    assert "Slutdatumet måste vara samma dag som startdatumet eller senare." in text(response)
    assert moderator_client.get(REPORT, {"fran": "inte ett datum"}).status_code == 200


def act(client, obj, action, operation, **extra):
    data = {"what": "page" if isinstance(obj, Page) else "contact", "pk": obj.pk}
    data.update(action=action, operation=operation, next=REPORT, **extra)
    return client.post(ACTION, data)


def test_cancel_a_go_live(moderator_client, plan):
    page = plan["page"]
    response = act(moderator_client, page, PUBLISH, "cancel")
    assert response.status_code == 302
    assert not page.revisions.filter(approved_go_live_at__isnull=False).exists()
    assert PageLogEntry.objects.filter(page=page, action="wagtail.schedule.cancel").exists()
    assert "Vänorter i Europa" not in [row.title for row in scheduled_changes()]


def test_move_an_expiry_in_swedish_time(moderator_client, plan):
    contact = plan["contact"]
    response = act(moderator_client, contact, EXPIRE, "move", when="2030-07-01T09:30")
    assert response.status_code == 302
    contact.refresh_from_db()
    # Summer: CEST, two hours ahead of UTC.
    assert contact.expire_at == datetime(2030, 7, 1, 7, 30, tzinfo=UTC)


def test_move_to_a_time_that_does_not_exist_is_refused_in_swedish(moderator_client, plan):
    contact = plan["contact"]
    before = contact.expire_at
    response = act(moderator_client, contact, EXPIRE, "move", when="2030-03-31T02:30")
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.expire_at == before
    body = text(moderator_client.get(REPORT))
    assert "Klockan 02:30 finns inte den 2030-03-31" in body


def test_publish_now(moderator_client, plan):
    page = plan["page"]
    [row] = [r for r in scheduled_changes() if r.action == PUBLISH]
    response = act(moderator_client, page, PUBLISH, "now", revision=row.revision_id)
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.live and page.live_revision_id == row.revision_id
    assert page.go_live_at is None
    assert not page.revisions.filter(approved_go_live_at__isnull=False).exists()
    assert PageLogEntry.objects.filter(page=page, action="wagtail.publish").exists()


def test_expire_now(moderator_client, plan):
    page = plan["old"]
    act(moderator_client, page, EXPIRE, "now")
    page.refresh_from_db()
    assert not page.live


def test_only_a_user_who_may_publish_can_act(client, plan, editor):
    client.force_login(editor)
    page = plan["page"]
    body = client.get(REPORT).content.decode()
    # Editors may publish contacts, not pages: one row with actions.
    assert body.count('value="cancel"') == 1
    response = act(client, page, PUBLISH, "now")
    assert response.status_code == 302
    page.refresh_from_db()
    assert not page.live
    assert page.revisions.filter(approved_go_live_at__isnull=False).exists()
    assert "Du får inte publicera" in text(client.get(REPORT))


def test_unknown_object_or_action_is_a_4xx(moderator_client, plan):
    assert moderator_client.post(ACTION, {"what": "page", "pk": "x"}).status_code == 404
    assert moderator_client.post(ACTION, {"what": "page", "pk": 999999}).status_code == 404
    response = act(moderator_client, plan["page"], "explode", "now")
    assert response.status_code == 302
    assert moderator_client.get(ACTION).status_code == 405


def test_the_dashboard_shows_the_coming_week_and_failures(moderator_client, plan):
    failures.record_failure(
        plan["page"], PUBLISH, timezone.now() - timedelta(days=20), "Sluggen var upptagen."
    )
    body = text(moderator_client.get("/admin/"))
    assert "Schemalagt den kommande veckan" in body
    assert "Kim Exempelsson" in body and "Vänorter i Europa" in body
    assert "Sluggen var upptagen." in body
    # Three days ahead is inside the week, forty is not.
    assert "Gammalt avtal" in body


def test_publish_now_of_a_revision_no_longer_valid_is_refused_in_swedish(moderator_client, plan):
    page = plan["page"]
    [row] = [r for r in scheduled_changes() if r.action == PUBLISH]
    # Its slug taken by a sibling since it was scheduled.
    taken = make_page(title="Upptagen")
    revision = page.revisions.get(pk=row.revision_id)
    revision.content["slug"] = taken.slug
    revision.save(update_fields=["content"])

    response = act(moderator_client, page, PUBLISH, "now", revision=row.revision_id)
    assert response.status_code == 302
    page.refresh_from_db()
    assert not page.live
    assert "Det gick inte" in text(moderator_client.get(REPORT))


@pytest.mark.parametrize("path", [REPORT, "/admin/reports/schemalagt/kalender/", "/admin/"])
def test_the_views_queries_do_not_grow_with_the_rows(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from headless.schedule_changes import change_schedule

    from .conftest import ahead

    editor = make_user("redaktor", "Editors")
    moderator = make_user("moderator", "Moderators")
    client.force_login(editor)

    day = ahead(hours=2).astimezone(timezone.get_default_timezone()).date()
    query = {"vy": "manad", "datum": day.isoformat()} if "kalender" in path else {}

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, query)
        assert response.status_code == 200
        assert "Sida 0" in response.content.decode()
        return len(queries)

    change_schedule(make_page(title="Sida 0", live=False), moderator, go_live_at=ahead(hours=2))
    count()  # the first request makes the user's profile
    one = count()
    for number in range(1, 6):
        page = make_page(title=f"Sida {number}", live=False)
        change_schedule(page, moderator, go_live_at=ahead(hours=2, minutes=number))
    assert len(scheduled_changes()) == 6
    assert count() == one
