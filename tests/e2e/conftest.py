"""Fixtures for the real-browser tests: Debian's Chromium driven by Playwright,
pages served by pytest-django's live server with the demo content loaded.

Chromium comes from Debian: `make test` installs it (`apt-get install
chromium`, scripts/test-environment.sh) or stops before the first test and
says what to run; never `playwright install`, which fetches a browser of its
own. Run without `make test` and without /usr/bin/chromium, the browser
tests fail, they do not skip: a missing browser must not pass unnoticed.
"""

import os
from pathlib import Path

import pytest

from tests.builders import ensure_wagtail_tree

# Playwright's sync API runs an asyncio event loop in this thread, so Django's
# async-safety check would refuse database access from fixtures and tests
# ("You cannot call this from an async context"). Nothing here is async: the
# loop only drives the browser.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
            "`make test` installs it; or run `sudo apt-get install chromium` "
            "(never `playwright install`).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo_site(transactional_db, live_server):
    """The demo content in the database the live server reads.

    `transactional_db` rather than `db`: the live server runs in another
    thread, which must see committed rows. load_demo's Site (hostname
    localhost, port 80, default site) answers the live server's requests.
    """
    from intl_pages.demo import load_demo

    # A transactional test ends by emptying every table. Django's serialized
    # rollback cannot put Wagtail's root page and locale back here: once
    # Playwright's sync API has started, asgiref hands this thread a second set
    # of database connections, and the serialized copy, kept on the first, is
    # never found. The tree is tiny, so it is built again instead.
    ensure_wagtail_tree()
    return load_demo()


class PageRecorder:
    """A browser page and every request it made."""

    def __init__(self, page, server_url):
        self.page = page
        self.server_url = server_url
        self.requests = []
        self.failed = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("requestfailed", self._on_failed)
        page.on("response", self._on_response)

    def _on_failed(self, request):
        self.failed.append(f"{request.url} ({request.failure})")

    def _on_response(self, response):
        # The document of a 404 page is meant to be a 404; a subresource is not.
        if response.status >= 400 and response.request.resource_type != "document":
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def goto(self, path):
        return self.page.goto(self.server_url + path, wait_until="load")

    def external_requests(self):
        own = self.server_url + "/"
        return [url for url in self.requests if not url.startswith(own)]


@pytest.fixture
def open_page(browser, live_server):
    """open_page(viewport) -> PageRecorder: a fresh browser context and page.

    Requests to anywhere but the live server are recorded and then aborted,
    so a test never waits on the network and an external resource still
    shows up in `external_requests()`.
    """
    contexts = []
    server_url = live_server.url

    def _open(device=DESKTOP):
        context = browser.new_context(locale="sv-SE", **device)
        contexts.append(context)

        def _route(route):
            if route.request.url.startswith(server_url + "/"):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", _route)
        return PageRecorder(context.new_page(), server_url)

    yield _open
    for context in contexts:
        context.close()
