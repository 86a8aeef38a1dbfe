"""The English page in Chromium: axe-core finds nothing on it nor in any
state of its widget, which speaks English (its script's texts from the
JavaScript catalog); the languages are marked for screen readers."""

from types import SimpleNamespace

import pytest

from feedback.models import Feedback

from .conftest import DESKTOP, PHONE
from .test_accessibility import assert_accessible, assert_only_own_resources
from .test_feedback_widget import focused_text, wait_for_status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENGLISH_PAGE = "/en/international-cooperation/"
SWEDISH_PAGE = "/internationella-samarbeten/"


@pytest.fixture
def quick(settings):
    settings.FEEDBACK_MIN_SECONDS = 0


def assert_languages_marked(page, own, other, other_label):
    assert page.evaluate("document.documentElement.lang") == own
    link = page.locator("header .language-links a")
    assert link.inner_text() == other_label
    assert (link.get_attribute("lang"), link.get_attribute("hreflang")) == (other, other)
    alternates = page.locator("link[rel=alternate]")
    assert sorted(alternates.evaluate_all("links => links.map(l => l.hreflang)")) == [
        "en",
        "sv",
        "x-default",
    ]


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_english_page(demo_site, open_page, device):
    recorder = open_page(device)
    page = recorder.page
    assert recorder.goto(ENGLISH_PAGE).status == 200
    assert page.locator("h1").inner_text() == "Development through international cooperation"
    assert_languages_marked(page, "en", "sv", "På svenska")
    # The Swedish statement's link, spoken in Swedish.
    assert page.locator("footer.site-footer a[lang=sv]").count() == 1
    assert_accessible(recorder)
    assert_only_own_resources(recorder)

    page.locator("header .language-links a").click()
    page.wait_for_url(f"**{SWEDISH_PAGE}")
    assert_languages_marked(page, "sv", "en", "In English")
    assert_accessible(recorder)


def test_the_english_widget_step_by_step(demo_site, open_page, quick):
    recorder = open_page(PHONE)
    page = recorder.page
    recorder.goto(ENGLISH_PAGE)
    widget = page.locator("#feedback")
    assert widget.locator("#feedback-heading").inner_text() == (
        "Did the information on this page help you?"
    )
    assert_accessible(recorder)

    widget.get_by_label("Yes").check()
    wait_for_status(page, "Thank you for your answer!")
    assert focused_text(page) == "How satisfied are you with the content of the page?"
    assert_accessible(recorder)

    widget.locator("[name=rating][value='5']").check()
    assert focused_text(page) == "Could you tell us a little more?"
    widget.get_by_label("Could you tell us a little more?").fill("Very clear.")
    widget.get_by_label("May we contact you (optional)?").fill("not an address")
    widget.get_by_role("button", name="Send").click()
    summary = widget.locator("[role=alert] .error-summary")
    summary.wait_for()
    assert "Your answer could not be sent" in summary.inner_text()
    assert "Enter a valid email address" in summary.inner_text()
    assert_accessible(recorder)

    widget.get_by_label("May we contact you (optional)?").fill("")
    widget.get_by_role("button", name="Send").click()
    wait_for_status(page, "Thank you for helping us")
    assert_accessible(recorder)

    answer = Feedback.objects.get()
    assert (answer.language, answer.rating, answer.owner_email) == (
        "en",
        5,
        "naringsliv@lidkoping.se",
    )


def test_the_english_form_without_its_script(demo_site, browser, live_server, quick):
    context = browser.new_context(locale="en-GB", **PHONE)
    context.route("**/feedback/feedback.js", lambda route: route.abort())
    try:
        page = context.new_page()
        recorder = SimpleNamespace(page=page)
        page.goto(live_server.url + ENGLISH_PAGE)
        assert_accessible(recorder)

        widget = page.locator("#feedback")
        widget.get_by_label("No").check()
        page.get_by_label("May we contact you (optional)?").fill("not an address")
        widget.get_by_role("button", name="Send").click()
        summary = page.locator("#feedback [role=alert] .error-summary")
        summary.wait_for()
        assert page.evaluate("document.documentElement.lang") == "en"
        assert "Enter a valid email address" in summary.inner_text()
        assert_accessible(recorder)

        page.get_by_label("May we contact you (optional)?").fill("")
        page.locator("#feedback").get_by_role("button", name="Send").click()
        page.wait_for_url("**/en/international-cooperation/?tack=1#feedback")
        assert "Thank you for helping us" in page.locator("#feedback [role=status]").inner_text()
        assert_accessible(recorder)
        assert Feedback.objects.get().language == "en"
    finally:
        context.close()
