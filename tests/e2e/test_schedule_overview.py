"""The admin's "Schemalagt" in a real browser: axe-core's WCAG 2.1 A and AA
rules on the list, the week and month calendar and the dashboard, with a
failure on top; and the calendar used by keyboard alone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from headless.schedule_changes import change_schedule
from intl_pages.models import InternationalPage
from planning import failures
from planning.models import PUBLISH
from tests.builders import make_contact, make_page
from tests.intl_pages.admin_forms import PASSWORD, make_user

from .test_accessibility import assert_accessible

pytestmark = pytest.mark.browser


def log_in(recorder):
    page = recorder.page
    recorder.goto("/admin/login/")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/admin/")


@pytest.fixture
def scheduled(demo_site):
    admin = make_user("admin", superuser=True)
    home = InternationalPage.objects.get(slug="internationella-samarbeten").get_parent()
    soon = timezone.now().replace(microsecond=0) + timedelta(days=1)
    page = make_page(title="Vänorter i Europa", live=False, parent=home)
    change_schedule(page, admin, go_live_at=soon)
    contact = make_contact(name="Sam Exempelsson")
    change_schedule(contact, admin, expire_at=soon + timedelta(hours=2))
    failures.record_failure(
        page, PUBLISH, soon - timedelta(days=2), "Adressen var upptagen.", scheduled_by=admin
    )
    return soon


def test_the_overview_passes_axe(open_page, scheduled):
    recorder = open_page()
    log_in(recorder)
    assert_accessible(recorder)  # the dashboard, with its panel
    assert recorder.page.get_by_text("Schemalagt den kommande veckan").is_visible()
    day = scheduled.astimezone(timezone.get_default_timezone()).date().isoformat()
    for path in (
        "/admin/reports/schemalagt/",
        "/admin/reports/schemalagt/?typ=page",
        f"/admin/reports/schemalagt/kalender/?vy=vecka&datum={day}",
        f"/admin/reports/schemalagt/kalender/?vy=manad&datum={day}",
        "/admin/reports/schemalagt/prenumeration/",
    ):
        response = recorder.goto(path)
        assert response.status == 200, path
        assert_accessible(recorder)


def test_the_calendar_by_keyboard(open_page, scheduled):
    recorder = open_page()
    log_in(recorder)
    page = recorder.page
    day = scheduled.astimezone(timezone.get_default_timezone()).date().isoformat()
    recorder.goto(f"/admin/reports/schemalagt/kalender/?vy=vecka&datum={day}")
    link = page.get_by_role("link", name="Vänorter i Europa")
    for _ in range(200):
        page.keyboard.press("Tab")
        if link.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("The change's link was never reached by Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/pages/*/edit/")
