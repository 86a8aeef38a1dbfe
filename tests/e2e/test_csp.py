"""The Content-Security-Policy in Chromium: no violation, reported as an event
or written to the console, on the public page, in every state of the
feedback widget (with and without its script), on the API's docs, and in the
admin: the page editor with a go-live set in the scheduling dialog (the
date-time picker), the preview panel, the contact editor, the feedback
reports, the API tokens, the webhook endpoints, an image upload and its
focal point, and the user bar on the public page.

Each page of a context reports `securitypolicyviolation` events through a
binding added before any of its own scripts run (an init script); Chromium's
console says "Refused to …" or "… violates the following Content Security
Policy directive …", depending on its version: both count. Requests to
anywhere but the live server are aborted after the policy has had its say
(Wagtail's release check), so nothing leaves the machine.
"""

import re

import PIL.Image
import pytest
from django.utils import timezone

from feedback.models import Feedback
from intl_pages.models import Contact, InternationalPage
from tests.intl_pages.admin_forms import PASSWORD, make_user

from .conftest import DESKTOP, PHONE
from .test_accessibility import INTERNATIONAL_PAGE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation({
    url: document.location.href,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
  });
});
"""
CONSOLE_REFUSAL = re.compile(
    r"Refused to|Content Security Policy|Permissions.Policy", re.IGNORECASE
)
COMMENT = "Kartan saknas."


class PolicyWatch:
    """A browser context whose every page and frame reports what the policy
    refused; `assert_clean(step)` after each step names the step that broke."""

    def __init__(self, browser, server_url, device=DESKTOP, **options):
        self.server_url = server_url
        self.refusals = []
        self.context = browser.new_context(locale="sv-SE", **device, **options)
        self.context.route("**/*", self._route)
        self.context.expose_binding("__cspViolation", self._on_violation)
        self.context.add_init_script(LISTENER)
        self.context.on("console", self._on_console)
        self.page = self.context.new_page()

    def _route(self, route):
        if route.request.url.startswith(self.server_url + "/"):
            route.continue_()
        else:
            route.abort()

    def _on_violation(self, source, event):
        self.refusals.append(
            f"{event['url']}: {event['directive']} refused {event['blocked'] or 'inline'} "
            f"({event['source']}) {event['sample']}"
        )

    def _on_console(self, message):
        if CONSOLE_REFUSAL.search(message.text):
            self.refusals.append(f"console: {message.text}")

    def goto(self, path):
        return self.page.goto(self.server_url + path, wait_until="load")

    def assert_clean(self, step):
        page = self.page
        page.wait_for_load_state("networkidle")
        # Reports are queued tasks: let the queue run before reading them.
        page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")
        refusals, self.refusals = self.refusals, []
        assert not refusals, f"{step}: the policy refused\n" + "\n".join(refusals)

    def close(self):
        self.context.close()


@pytest.fixture
def watch(browser, live_server):
    watches = []

    def _watch(**options):
        watches.append(PolicyWatch(browser, live_server.url, **options))
        return watches[-1]

    yield _watch
    for opened in watches:
        opened.close()


@pytest.fixture
def quick(settings):
    # A person in a test types faster than the bot check's three seconds.
    settings.FEEDBACK_MIN_SECONDS = 0


# The public side


def test_the_page_and_every_state_of_the_widget_with_its_script(demo_site, watch, quick):
    browser_page = watch(device=PHONE)
    page = browser_page.page
    browser_page.goto(INTERNATIONAL_PAGE)
    widget = page.locator("#feedback")
    browser_page.assert_clean("the page")

    widget.get_by_label("Ja").check()
    page.locator("[data-feedback-status]", has_text="Tack för ditt svar!").wait_for()
    browser_page.assert_clean("Ja, saved at once")

    widget.locator("[name=rating][value='4']").check()
    browser_page.assert_clean("the rating")
    widget.get_by_label("Kan du utveckla ditt svar lite mer?").fill(COMMENT)
    browser_page.assert_clean("the comment")
    widget.get_by_label("Får vi kontakta dig (frivilligt)?").fill("inte en adress")
    widget.get_by_role("button", name="Skicka", exact=True).click()
    widget.locator("[role=alert] .error-summary").wait_for()
    browser_page.assert_clean("an invalid address: the error summary")

    # The server cannot take the answer (its database away): the widget's
    # error state.
    page.route("**/feedback/*/", lambda route: route.fulfill(status=503, body="{}"))
    widget.get_by_label("Får vi kontakta dig (frivilligt)?").fill("besokare@example.se")
    widget.get_by_role("button", name="Skicka", exact=True).click()
    page.locator("[data-feedback-alert]:not(:empty)").wait_for()
    browser_page.assert_clean("the server refused: the error state")
    page.unroute("**/feedback/*/")

    widget.get_by_role("button", name="Skicka", exact=True).click()
    page.locator("[data-feedback-status]", has_text="Tack för att du").wait_for()
    browser_page.assert_clean("the thanks")
    assert Feedback.objects.get().contact_email == "besokare@example.se"


def test_every_state_of_the_widget_without_its_script(demo_site, watch, quick):
    """The plain form: posted to the site itself (form-action 'self'), the
    errors and the thanks rendered by the server."""
    browser_page = watch(device=PHONE)
    page = browser_page.page
    page.route("**/feedback/feedback.js", lambda route: route.abort())
    browser_page.goto(INTERNATIONAL_PAGE)
    widget = page.locator("#feedback")
    assert widget.locator("[data-step=comment]").is_visible()
    browser_page.assert_clean("the plain form")

    widget.get_by_label("Nej").check()
    widget.get_by_label("Kan du utveckla ditt svar lite mer?").fill(COMMENT)
    widget.get_by_label("Får vi kontakta dig (frivilligt)?").fill("inte en adress")
    widget.get_by_role("button", name="Skicka", exact=True).click()
    page.locator("#feedback [role=alert] .error-summary").wait_for()
    browser_page.assert_clean("the form with its errors, from the server")

    page.locator("#feedback").get_by_label("Får vi kontakta dig (frivilligt)?").fill("")
    page.locator("#feedback").get_by_role("button", name="Skicka", exact=True).click()
    page.wait_for_url("**?tack=1#feedback")
    browser_page.assert_clean("the thanks, from the server")
    assert Feedback.objects.get().comment_as_received == COMMENT


def test_the_page_without_javascript_refuses_nothing(demo_site, watch):
    """Without JavaScript only the console can tell: the stylesheet and the
    form are the policy's business still."""
    browser_page = watch(java_script_enabled=False)
    browser_page.goto(INTERNATIONAL_PAGE)
    browser_page.page.wait_for_load_state("networkidle")
    assert not browser_page.refusals


def test_the_api_docs(demo_site, watch):
    browser_page = watch()
    page = browser_page.page
    browser_page.goto("/api/v3/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    browser_page.assert_clean("the docs")
    page.locator(".opblock-summary").first.click()
    page.locator(".try-out__btn").first.click()
    page.locator(".execute").first.click()
    page.locator(".responses-wrapper .live-responses-table").first.wait_for()
    browser_page.assert_clean("an operation tried out")


def test_a_not_found_page(demo_site, watch):
    browser_page = watch()
    response = browser_page.goto("/finns-inte/")
    assert response.status == 404
    browser_page.assert_clean("the 404 page")


# The admin


def log_in(browser_page):
    page = browser_page.page
    browser_page.goto("/admin/login/")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/admin/")


def pick_a_go_live(page):
    """The scheduling dialog's date-time picker: a day next month, a time."""
    page.get_by_role("button", name="Växla status").click()
    page.get_by_role("button", name=re.compile("(Sätt|Redigera) schema")).click()
    dialog = page.locator("#schedule-publishing-dialog")
    dialog.wait_for(state="visible")
    page.locator("#id_go_live_at").click()
    picker = page.locator(".xdsoft_datetimepicker:visible")
    picker.locator(".xdsoft_next").first.click()
    picker.locator(".xdsoft_date:not(.xdsoft_disabled):not(.xdsoft_other_month)").nth(10).click()
    # The time list scrolls inside the picker, and where it stops depends on
    # the hour the test runs at: part of a time may lie under the dialog's
    # subtitle. The widget's own click handler is what is exercised.
    picker.locator(".xdsoft_time:not(.xdsoft_disabled)").nth(10).dispatch_event("click")
    assert page.locator("#id_go_live_at").input_value()
    return dialog


def feedback_for(page, count=6):
    for n in range(count):
        Feedback.objects.create(
            page=page,
            page_title=page.title,
            page_url=page.full_url,
            owner_email=page.owner_email,
            helpful=n % 2 == 0,
            rating=1 + n % 5,
            comment=f"Svar {n}",
            comment_as_received=f"Svar {n}",
        )


def test_the_admin_refuses_nothing_wagtail_does(demo_site, watch, tmp_path):
    make_user("admin", superuser=True)
    demo_page = InternationalPage.objects.get(slug="internationella-samarbeten")
    feedback_for(demo_page)
    browser_page = watch()
    page = browser_page.page
    log_in(browser_page)
    browser_page.assert_clean("the dashboard")

    editor = f"/admin/pages/{demo_page.pk}/edit/"
    browser_page.goto(editor)
    browser_page.assert_clean("the page editor")

    dialog = pick_a_go_live(page)
    browser_page.assert_clean("the scheduling dialog's date-time picker")
    dialog.get_by_role("button", name="Spara schema").click()
    page.wait_for_url(f"**{editor}")
    browser_page.assert_clean("the schedule saved")
    page.get_by_role("button", name="Fler åtgärder").click()
    page.get_by_role("button", name="Schemalägg publicering").click()
    page.wait_for_load_state("networkidle")
    revision = demo_page.revisions.order_by("-created_at").first()
    assert revision.approved_go_live_at > timezone.now()
    browser_page.assert_clean("publishing scheduled")

    browser_page.goto(editor)
    page.get_by_role("button", name="Växla status").click()
    # In the status panel: the admin's menu has "Schemalagt" too, collapsed.
    status = page.locator('[data-side-panel="status"]')
    assert status.get_by_text(re.compile("[Ss]chemalag")).first.is_visible()
    browser_page.assert_clean("the page editor with a schedule set")

    page.get_by_role("button", name="Växla förhandsgranskning").click()
    page.frame_locator("#w-preview-iframe").locator("#feedback").wait_for(state="attached")
    browser_page.assert_clean("the preview panel")

    contact = Contact.objects.order_by("pk").first()
    browser_page.goto(f"/admin/snippets/intl_pages/contact/edit/{contact.pk}/")
    browser_page.assert_clean("the contact editor")
    pick_a_go_live(page)
    browser_page.assert_clean("the contact's scheduling dialog")

    for path in (
        "/admin/reports/sidrespons/",
        "/admin/reports/sidrespons/registrator/",
        "/admin/api-tokens/",
        "/admin/api-tokens/new/",
        "/admin/webhooks/",
        "/admin/webhooks/new/",
        "/admin/reports/schemalagt/",
        "/admin/reports/schemalagt/kalender/?vy=manad",
        "/admin/reports/schemalagt/prenumeration/",
    ):
        browser_page.goto(path)
        browser_page.assert_clean(path)
    browser_page.goto("/admin/reports/sidrespons/")
    assert page.locator("svg[role=img]").count(), "the report's chart"

    image = tmp_path / "bild.png"
    PIL.Image.new("RGB", (40, 30), "#00507a").save(image)
    browser_page.goto("/admin/images/multiple/add/")
    page.set_input_files("#fileupload", str(image))
    page.locator("#upload-list li").first.wait_for()
    browser_page.assert_clean("an image uploaded")
    from wagtail.images.models import Image

    browser_page.goto(f"/admin/images/{Image.objects.get().pk}/")
    browser_page.assert_clean("the image's focal point")

    # The public page of a signed-in editor, with Wagtail's user bar.
    browser_page.goto(INTERNATIONAL_PAGE)
    page.locator("wagtail-userbar").wait_for(state="attached")
    page.locator("wagtail-userbar #wagtail-userbar-trigger").click()
    browser_page.assert_clean("the user bar on the public page")


# The test's own doubt


def test_a_refusal_is_seen(demo_site, watch):
    """The watch sees what the policy refuses: a script the page writes in
    line, as an injection would."""
    browser_page = watch()
    browser_page.goto(INTERNATIONAL_PAGE)
    browser_page.page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
        }"""
    )
    with pytest.raises(AssertionError, match="script-src-elem refused inline"):
        browser_page.assert_clean("an injected script")
    assert browser_page.page.evaluate("() => window.injected") is None
