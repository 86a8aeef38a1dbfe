"""A release's admin view in a real browser: axe-core's WCAG 2.1 A and AA
rules on what the view adds to Wagtail's admin, no script the site's policy
refuses, and the page chooser of its "Lägg till" form working."""

import pytest

from intl_pages.models import Contact, InternationalPage
from releases import actions
from tests.intl_pages.admin_forms import PASSWORD, make_user

from .conftest import DESKTOP
from .test_accessibility import AXE_JS, WCAG_TAGS, describe_violations

pytestmark = pytest.mark.browser


def log_in(recorder):
    page = recorder.page
    recorder.goto("/admin/login/")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/admin/")


def test_the_release_view_is_accessible_and_runs_under_the_policy(demo_site, open_page):
    admin = make_user("admin", superuser=True)
    page = InternationalPage.objects.get(locale__language_code="sv")
    release = actions.create_release("Nytt partnerskap", admin)
    actions.add_item(release, page, admin)
    actions.add_item(release, Contact.objects.first(), admin)

    recorder = open_page(DESKTOP)
    refused = []
    recorder.page.on(
        "console",
        lambda message: refused.append(message.text) if "Refused" in message.text else None,
    )
    log_in(recorder)
    for path in ("/admin/utgavor/", f"/admin/utgavor/{release.pk}/"):
        recorder.goto(path)
        # Wagtail's own chrome (the sidebar, its menus) is Wagtail's to mend:
        # the rules run on the view's content.
        recorder.page.evaluate(AXE_JS.read_text())
        results = recorder.page.evaluate(
            """tags => axe.run(document.querySelector("main"), {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            })""",
            WCAG_TAGS,
        )
        violations = results["violations"]
        assert not violations, f"{path}:\n{describe_violations(violations)}"
    assert not refused, refused

    # The chooser of the "Lägg till" form opens Wagtail's page chooser.
    recorder.page.locator("#id_page-chooser button[data-chooser-action-choose]").click()
    recorder.page.locator(".modal-dialog").wait_for(state="visible")
