"""The feedback widget in Chromium, with and without JavaScript: a bare Ja
saved at once and then added to, errors summarised and focused with the
visitor's text kept, thanks announced; with the database away the answer
kept and sent again with one press; axe-core finds nothing in any state."""

import json
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.test import RequestFactory

from feedback.models import Feedback
from feedback.views import UNAVAILABLE, unavailable

from .conftest import PHONE
from .test_accessibility import INTERNATIONAL_PAGE, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMENT = "Kartan saknas. Ring 070-123 45 67."
AWAY_COMMENT = "Kartan saknas.\nRing mig gärna."


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


def test_with_the_database_away_the_widget_keeps_the_answer(demo_site, open_page, quick):
    """The server's 503 (tests/security/test_database_away.py has it for real)
    answered here by a route: the widget keeps every value and sends it
    again with one press, "Skicka igen"."""
    recorder = open_page()
    page = recorder.page
    away = {"now": True}

    def database_away(route):
        if route.request.method == "POST" and away["now"]:
            route.fulfill(
                status=503,
                headers={"Retry-After": "30"},
                content_type="application/json",
                body=json.dumps({"ok": False, "message": UNAVAILABLE}),
            )
        else:
            route.continue_()

    page.route(re.compile(r".*/feedback/\d+/$"), database_away)
    recorder.goto(INTERNATIONAL_PAGE)
    widget = page.locator("#feedback")
    alert = widget.locator("[data-feedback-alert]")

    widget.get_by_label("Ja").check()
    again = alert.get_by_role("button", name="Skicka igen")
    again.wait_for()
    assert UNAVAILABLE in alert.inner_text()
    assert widget.get_by_label("Ja").is_checked()
    assert widget.locator("[data-step=rating]").is_hidden()
    assert page.evaluate("document.activeElement.textContent") == "Skicka igen"
    assert not Feedback.objects.exists()
    assert_accessible(recorder)

    away["now"] = False
    again.click()
    wait_for_status(page, "Tack för ditt svar!")
    assert Feedback.objects.get().helpful is True
    assert alert.inner_text() == ""

    widget.locator("[name=rating][value='4']").check()
    widget.get_by_label("Kan du utveckla ditt svar lite mer?").fill(AWAY_COMMENT)
    widget.get_by_label("Får vi kontakta dig (frivilligt)?").fill("besokare@example.se")
    away["now"] = True
    widget.get_by_role("button", name="Skicka").click()
    again.wait_for()
    # Everything the visitor wrote is where they wrote it.
    assert widget.locator("[name=rating][value='4']").is_checked()
    assert widget.get_by_label("Kan du utveckla ditt svar lite mer?").input_value() == AWAY_COMMENT
    assert widget.get_by_label("Får vi kontakta dig (frivilligt)?").input_value() == (
        "besokare@example.se"
    )
    assert Feedback.objects.get().rating is None
    assert_accessible(recorder)

    away["now"] = False
    again.click()
    wait_for_status(page, "Tack för att du")
    answer = Feedback.objects.get()
    assert (answer.rating, answer.contact_email) == (4, "besokare@example.se")
    assert answer.comment_as_received.replace("\r\n", "\n") == AWAY_COMMENT  # as a form sends it


def test_without_javascript_the_503_page_sends_the_answer_again(
    demo_site, browser, live_server, quick
):
    """The page the server answers with the database away (feedback.views.
    unavailable, rendered for the form as Chromium sent it), in a browser
    that runs axe but not the widget's script: one press sends it again."""
    context = browser.new_context(locale="sv-SE", **PHONE)
    context.route("**/feedback/feedback.js", lambda route: route.abort())
    away = {"now": True}

    def database_away(route):
        if route.request.method != "POST" or not away["now"]:
            return route.continue_()
        away["now"] = False
        path = urlsplit(route.request.url).path
        request = RequestFactory().post(
            path,
            route.request.post_data_buffer,
            content_type=route.request.headers["content-type"],
        )
        response = unavailable(request, int(path.strip("/").split("/")[-1]))
        response.render()
        route.fulfill(
            status=response.status_code,
            headers={"Retry-After": response["Retry-After"]},
            content_type=response["Content-Type"],
            body=response.content,
        )

    try:
        page = context.new_page()
        page.route(re.compile(r".*/feedback/\d+/$"), database_away)
        recorder = SimpleNamespace(page=page)
        page.goto(live_server.url + INTERNATIONAL_PAGE)
        widget = page.locator("#feedback")
        widget.get_by_label("Nej").check()
        widget.locator("[name=rating][value='3']").check()
        widget.get_by_label("Kan du utveckla ditt svar lite mer?").fill(AWAY_COMMENT)
        widget.get_by_role("button", name="Skicka").click()

        page.get_by_role("button", name="Skicka igen").wait_for()
        assert page.get_by_role("alert").inner_text() == UNAVAILABLE
        assert "Ring mig gärna." in page.locator(".feedback__sent").inner_text()
        assert not Feedback.objects.exists()
        assert_accessible(recorder)

        page.get_by_role("button", name="Skicka igen").click()
        page.wait_for_url("**?tack=1#feedback")
    finally:
        context.close()
    answer = Feedback.objects.get()
    assert (answer.helpful, answer.rating) == (False, 3)
    assert answer.comment_as_received.replace("\r\n", "\n") == AWAY_COMMENT
