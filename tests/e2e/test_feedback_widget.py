"""The feedback widget in Chromium, with and without JavaScript: a bare Ja
saved at once and then added to, errors summarised and focused with the
visitor's text kept, thanks announced; axe-core finds nothing in any state."""

from types import SimpleNamespace

import pytest

from feedback.models import Feedback

from .conftest import PHONE
from .test_accessibility import INTERNATIONAL_PAGE, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMENT = "Kartan saknas. Ring 070-123 45 67."


@pytest.fixture
def quick(settings):
    # A person in a test types faster than the bot check's three seconds.
    settings.FEEDBACK_MIN_SECONDS = 0


def wait_for_status(page, text):
    """A locator's wait: wait_for_function would evaluate its string in the
    page, which the site's Content-Security-Policy refuses (no eval)."""
    page.locator("[data-feedback-status]", has_text=text).wait_for()


def focused_text(page):
    return page.evaluate("document.activeElement && document.activeElement.textContent.trim()")


def test_step_by_step_with_javascript(demo_site, open_page, quick):
    recorder = open_page(PHONE)
    page = recorder.page
    recorder.goto(INTERNATIONAL_PAGE)
    widget = page.locator("#feedback")
    assert widget.locator("[data-step=rating]").is_hidden()
    assert_accessible(recorder)

    widget.get_by_label("Ja").check()
    wait_for_status(page, "Tack för ditt svar!")
    # Saved at once, as a bare Ja.
    answer = Feedback.objects.get()
    assert (answer.helpful, answer.rating) == (True, None)
    assert focused_text(page) == "Hur nöjd är du med sidans innehåll?"
    assert_accessible(recorder)

    widget.locator("[name=rating][value='4']").check()
    assert focused_text(page) == "Kan du utveckla ditt svar lite mer?"
    widget.get_by_label("Kan du utveckla ditt svar lite mer?").fill(COMMENT)
    widget.get_by_label("Får vi kontakta dig (frivilligt)?").fill("inte en adress")
    widget.get_by_role("button", name="Skicka").click()

    summary = widget.locator("[role=alert] .error-summary")
    summary.wait_for()
    assert "Skriv en giltig e-postadress" in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert widget.get_by_label("Kan du utveckla ditt svar lite mer?").input_value() == COMMENT
    assert_accessible(recorder)

    widget.get_by_label("Får vi kontakta dig (frivilligt)?").fill("besokare@example.se")
    widget.get_by_role("button", name="Skicka").click()
    wait_for_status(page, "Tack för att du")
    assert focused_text(page).startswith("Tack för att du hjälper oss")
    assert_accessible(recorder)

    answer = Feedback.objects.get()  # the same answer, added to
    assert (answer.helpful, answer.rating, answer.contact_email) == (True, 4, "besokare@example.se")
    assert "070-123 45 67" not in answer.comment and answer.comment_as_received == COMMENT


def test_one_form_without_javascript(demo_site, browser, live_server, quick):
    context = browser.new_context(locale="sv-SE", java_script_enabled=False, **PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + INTERNATIONAL_PAGE)
        widget = page.locator("#feedback")
        assert widget.locator("[data-step=comment]").is_visible()

        widget.get_by_label("Nej").check()
        widget.get_by_label("Kan du utveckla ditt svar lite mer?").fill(COMMENT)
        widget.get_by_label("Får vi kontakta dig (frivilligt)?").fill("inte en adress")
        widget.get_by_role("button", name="Skicka").click()

        summary = page.locator("#feedback [role=alert] .error-summary")
        assert "Skriv en giltig e-postadress" in summary.inner_text()
        assert not Feedback.objects.exists()
        field = page.get_by_label("Kan du utveckla ditt svar lite mer?")
        assert field.input_value() == COMMENT
        # The summary's link leads to the field.
        href = summary.locator("a").get_attribute("href")
        assert page.locator(href).count() == 1

        page.get_by_label("Får vi kontakta dig (frivilligt)?").fill("")
        page.locator("#feedback").get_by_role("button", name="Skicka").click()
        page.wait_for_url("**?tack=1#feedback")
        status = page.locator("#feedback [role=status]")
        assert "Tack för att du hjälper oss" in status.inner_text()
        answer = Feedback.objects.get()
        assert (answer.helpful, answer.comment_as_received) == (False, COMMENT)
    finally:
        context.close()


def test_the_form_without_its_script_is_accessible_in_every_state(
    demo_site, browser, live_server, quick
):
    """axe-core needs JavaScript in the page: here the page runs it, but the
    widget's own script is kept out, so the widget is the plain form."""
    context = browser.new_context(locale="sv-SE", **PHONE)
    context.route("**/feedback/feedback.js", lambda route: route.abort())
    try:
        page = context.new_page()
        recorder = SimpleNamespace(page=page)
        page.goto(live_server.url + INTERNATIONAL_PAGE)
        assert page.locator("#feedback [data-step=comment]").is_visible()
        assert_accessible(recorder)

        page.locator("#feedback").get_by_label("Nej").check()
        page.get_by_label("Får vi kontakta dig (frivilligt)?").fill("inte en adress")
        page.locator("#feedback").get_by_role("button", name="Skicka").click()
        page.locator("#feedback [role=alert] .error-summary").wait_for()
        assert_accessible(recorder)

        page.get_by_label("Får vi kontakta dig (frivilligt)?").fill("")
        page.locator("#feedback").get_by_role("button", name="Skicka").click()
        page.wait_for_url("**?tack=1#feedback")
        assert_accessible(recorder)
    finally:
        context.close()


def test_a_visitor_who_reads_first_is_not_taken_for_a_bot(demo_site, open_page):
    """With the bot check's own minimum age: the script's fresh token, fetched
    as the page loads, is old enough by the time a person answers."""
    recorder = open_page(PHONE)
    page = recorder.page
    with page.expect_response("**/token/"):
        recorder.goto(INTERNATIONAL_PAGE)
    page.wait_for_timeout(3500)  # reading the page
    page.locator("#feedback").get_by_label("Nej").check()
    wait_for_status(page, "Tack för ditt svar!")

    answer = Feedback.objects.get()
    assert (answer.helpful, answer.is_spam) == (False, False)
