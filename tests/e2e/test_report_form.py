"""The accessibility statement and its report form in Chromium: axe-core
finds no WCAG 2.1 A/AA violation on the statement or on the form in any
state (empty, with errors, thanked), and the form works with JavaScript
turned off; the footer of every page leads to both."""

from types import SimpleNamespace

import pytest

from feedback.models import Feedback, FeedbackKind

from .conftest import DESKTOP, PHONE
from .test_accessibility import (
    INTERNATIONAL_PAGE,
    assert_accessible,
    assert_only_own_resources,
    assert_stylesheet_applied,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATEMENT = "/tillganglighetsredogorelse/"


@pytest.fixture
def quick(settings):
    settings.FEEDBACK_MIN_SECONDS = 0


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_statement_page(demo_site, open_page, device):
    recorder = open_page(device)
    response = recorder.goto(STATEMENT)
    assert response.status == 200
    assert recorder.page.locator("h1").inner_text() == "Tillgänglighetsredogörelse"
    assert_stylesheet_applied(recorder.page)
    assert_accessible(recorder)
    assert_only_own_resources(recorder)


def test_from_a_page_footer_to_a_report_with_javascript(demo_site, open_page, quick):
    recorder = open_page(PHONE)
    page = recorder.page
    recorder.goto(INTERNATIONAL_PAGE)
    page.locator(".site-footer").get_by_role(
        "link", name="Rapportera brist i tillgängligheten"
    ).click()
    page.wait_for_load_state()
    location = page.get_by_label("Var på webbplatsen finns problemet? (frivilligt)")
    assert location.input_value() == INTERNATIONAL_PAGE
    assert_accessible(recorder)

    page.get_by_label("Din e-postadress (frivilligt)").fill("inte en adress")
    page.get_by_role("button", name="Skicka rapporten").click()
    page.locator(".error-summary[role=alert]").wait_for()
    assert "Beskriv problemet" in page.locator(".error-summary").inner_text()
    assert_accessible(recorder)

    page.get_by_label("Vad är problemet?").fill("Kartan går inte att nå med tangentbord.")
    page.get_by_label("Din e-postadress (frivilligt)").fill("besokare@example.se")
    page.get_by_role("button", name="Skicka rapporten").click()
    page.get_by_text("Tack! Vi har tagit emot din rapport.").wait_for()
    assert_accessible(recorder)
    assert_only_own_resources(recorder)

    report = Feedback.objects.get()
    assert report.kind == FeedbackKind.ACCESSIBILITY_REPORT
    assert report.location == INTERNATIONAL_PAGE


def test_the_report_form_without_javascript(demo_site, browser, live_server, quick):
    context = browser.new_context(locale="sv-SE", java_script_enabled=False, **DESKTOP)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.locator(".site-footer").get_by_role(
            "link", name="Rapportera brist i tillgängligheten"
        ).click()
        page.get_by_label("Vad är problemet?").fill("Knappen Skicka syns inte vid förstoring.")
        page.get_by_role("button", name="Skicka rapporten").click()
        page.get_by_text("Tack! Vi har tagit emot din rapport.").wait_for()
        assert (
            page.get_by_role("link", name="Tillbaka till sidan du kom från").get_attribute("href")
            == "/"
        )
    finally:
        context.close()
    report = Feedback.objects.get()
    assert (report.kind, report.location) == (FeedbackKind.ACCESSIBILITY_REPORT, "/")


def test_every_page_links_to_the_statement(demo_site, open_page):
    recorder = open_page(DESKTOP)
    for path in ("/", INTERNATIONAL_PAGE, STATEMENT, "/finns-inte/"):
        recorder.goto(path)
        link = recorder.page.locator(".site-footer").get_by_role(
            "link", name="Tillgänglighetsredogörelse"
        )
        assert link.get_attribute("href") == STATEMENT, path


def test_the_form_with_an_error_is_accessible_without_its_script(demo_site, browser, live_server):
    """axe-core needs JavaScript in the page: the form has no script of its
    own, so this is the page a visitor without JavaScript gets."""
    context = browser.new_context(locale="sv-SE", **PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + STATEMENT)
        page.locator("main").get_by_role("link", name="Rapportera brist i tillgängligheten").click()
        page.get_by_label("Var på webbplatsen finns problemet? (frivilligt)").fill(
            "https://evil.example/"
        )
        page.get_by_role("button", name="Skicka rapporten").click()
        page.locator(".error-summary[role=alert]").wait_for()
        assert_accessible(SimpleNamespace(page=page))
    finally:
        context.close()
