"""Accessibility in a real browser: axe-core's WCAG 2.1 A and AA rules on the
rendered pages, keyboard use, and no resource from outside the site.

axe-core comes inside the axe-playwright-python wheel (axe.min.js); it is
injected into the page from that file, not fetched.

Set E2E_SCREENSHOT_DIR to a folder to keep a full-page screenshot of the
international page at phone size (page-phone.png) for a look by eye.
"""

import os
from pathlib import Path

import axe_playwright_python
import pytest

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

AXE_JS = Path(axe_playwright_python.__file__).resolve().parent / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

INTERNATIONAL_PAGE = "/internationella-samarbeten/"


def run_axe(page):
    """axe-core's WCAG 2.0/2.1 level A and AA rules on the whole document.

    axe is evaluated through the DevTools protocol, which the page's
    Content-Security-Policy does not govern: a <script> element of its own
    (add_script_tag) would be refused, as the site's policy runs no inline
    code."""
    page.evaluate(AXE_JS.read_text())
    return page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: "tag", values: tags},
            resultTypes: ["violations"],
        })""",
        WCAG_TAGS,
    )


def describe_violations(violations):
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']}\n"
            f"  {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:200]}")
            summary = node.get("failureSummary")
            if summary:
                lines.extend(f"      {line}" for line in summary.splitlines())
    return "\n".join(lines)


def assert_accessible(recorder):
    results = run_axe(recorder.page)
    violations = results["violations"]
    if violations:
        pytest.fail(
            f"axe-core found {len(violations)} WCAG 2.1 A/AA violation(s) on "
            f"{recorder.page.url}:\n{describe_violations(violations)}",
            pytrace=False,
        )


def assert_only_own_resources(recorder):
    external = recorder.external_requests()
    assert not external, (
        f"The page requested resources from outside {recorder.server_url}: {external}"
    )
    assert not recorder.failed, f"Requests failed: {recorder.failed}"


def assert_stylesheet_applied(page):
    """axe's contrast checks mean something only on the styled page."""
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert background == "rgb(0, 80, 122)", f"site.css not applied (header: {background})"


def test_international_page_desktop(demo_site, open_page):
    recorder = open_page(DESKTOP)
    response = recorder.goto(INTERNATIONAL_PAGE)
    assert response.status == 200
    assert recorder.page.locator("h1").inner_text() == "Utveckling genom internationella samarbeten"
    assert_stylesheet_applied(recorder.page)
    assert_accessible(recorder)
    assert_only_own_resources(recorder)


def test_international_page_phone(demo_site, open_page):
    recorder = open_page(PHONE)
    page = recorder.page
    response = recorder.goto(INTERNATIONAL_PAGE)
    assert response.status == 200
    # The page lays itself out at the phone's width (its meta viewport):
    # without one a mobile browser lays out at 980 px, and the overflow
    # check below would pass on any page.
    layout_width = page.evaluate("document.documentElement.clientWidth")
    assert layout_width == PHONE["viewport"]["width"], (
        f"The page is laid out {layout_width}px wide on a 375px phone (no meta viewport?)"
    )
    assert_stylesheet_applied(page)
    # WCAG 1.4.10 Reflow: at 375 px nothing may need sideways scrolling.
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"The page is {overflow}px wider than a 375px phone screen"
    assert_accessible(recorder)
    assert_only_own_resources(recorder)

    screenshot_dir = os.environ.get("E2E_SCREENSHOT_DIR")
    if screenshot_dir:
        page.screenshot(path=str(Path(screenshot_dir) / "page-phone.png"), full_page=True)


def test_home_page(demo_site, open_page):
    recorder = open_page(DESKTOP)
    response = recorder.goto("/")
    assert response.status == 200
    assert recorder.page.locator(f'a[href="{INTERNATIONAL_PAGE}"]').count() == 1
    assert_stylesheet_applied(recorder.page)
    assert_accessible(recorder)
    assert_only_own_resources(recorder)


def test_not_found_page(demo_site, open_page):
    recorder = open_page(DESKTOP)
    response = recorder.goto("/finns-inte-alls/")
    assert response.status == 404
    assert recorder.page.locator("h1").inner_text() == "Sidan finns inte"
    assert_stylesheet_applied(recorder.page)
    assert_accessible(recorder)
    assert_only_own_resources(recorder)


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_skip_link_is_first_tab_stop(demo_site, open_page, device):
    recorder = open_page(device)
    page = recorder.page
    recorder.goto(INTERNATIONAL_PAGE)

    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
            const el = document.activeElement;
            const box = el.getBoundingClientRect();
            return {
                tag: el.tagName,
                text: el.textContent.trim(),
                href: el.getAttribute("href"),
                visible: box.width > 0 && box.height > 0 && box.bottom > 0
                    && box.top < window.innerHeight,
            };
        }"""
    )
    assert focused["tag"] == "A", f"Tab focused {focused} first, not the skip link"
    assert focused["text"] == "Hoppa till innehållet"
    assert focused["href"] == "#innehall"
    assert focused["visible"], "The focused skip link is off screen"

    target = page.locator("#innehall")
    assert target.count() == 1
    assert target.evaluate("el => el.tagName") == "MAIN"

    # Following the link moves keyboard focus into the main content.
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "innehall"
    assert page.url.endswith("#innehall")
    assert_only_own_resources(recorder)
