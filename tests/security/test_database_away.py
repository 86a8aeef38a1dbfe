"""Feedback with the database away: a 503 with Retry-After and a Swedish
message, never a 500, nothing half-stored; without JavaScript the 503 page
sends the same answer again with one press, and the widget keeps what the
visitor wrote and offers "Skicka igen".

The server side runs for real: a private PostgreSQL (initdb and pg_ctl as
the postgres user, in a temporary folder, on a free port; never the shared
cluster) that the test stops, and gunicorn with the test settings pointed
at it. The widget's own behaviour is tested in Chromium against the live
server, with a Playwright route answering the 503 the server gives."""

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from feedback.models import Feedback
from feedback.views import UNAVAILABLE
from headless.errors import DATABASE_AWAY
from tests.e2e.conftest import browser, demo_site, open_page  # noqa: F401
from tests.e2e.test_accessibility import INTERNATIONAL_PAGE, assert_accessible
from tests.feedback.conftest import aged_token
from tests.ports import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ROOT = Path(__file__).resolve().parents[2]
COMMENT = "Kartan saknas.\nRing mig gärna."
STATUS = "document.querySelector('[data-feedback-status]').textContent"


def as_postgres(*command):
    result = subprocess.run(
        ["runuser", "-u", "postgres", "--", *map(str, command)], capture_output=True, text=True
    )
    if result.returncode:
        raise subprocess.CalledProcessError(
            result.returncode, command, result.stdout, result.stderr
        ) from RuntimeError(result.stderr)
    return result


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, which it may stop."""

    def __init__(self, folder):
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/feedback_away"

    def create(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.folder, "postgres", "postgres")
        as_postgres(
            PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync"
        )
        self.start()
        as_postgres(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", self.port, "feedback_away")

    def start(self):
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        as_postgres(
            PG_BIN / "pg_ctl",
            "-D",
            self.data,
            "-o",
            options,
            "-l",
            self.folder / "log",
            "-w",
            "start",
        )

    def stop(self):
        as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def query(self, sql):
        result = as_postgres(
            PG_BIN / "psql", "-h", "127.0.0.1", "-p", self.port, "-d", "feedback_away", "-tAc", sql
        )
        return result.stdout.strip()

    @contextlib.contextmanager
    def stopped(self):
        self.stop()
        try:
            yield
        finally:
            self.start()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The private PostgreSQL, migrated, with the demo content, and gunicorn
    with the test settings serving it."""
    if not (PG_BIN / "initdb").exists() or os.geteuid() != 0:
        pytest.fail(
            f"{PG_BIN}/initdb, run as root (runuser -u postgres), is needed to start a "
            "PostgreSQL this test may stop.",
            pytrace=False,
        )
    # Not under pytest's own temporary folder: the postgres user may not enter it.
    folder = Path(tempfile.mkdtemp(prefix="feedback-away-"))
    postgres = PrivatePostgres(folder)
    postgres.create()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "DATABASE_URL": postgres.url,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10"),
        "PAGECACHE_ENABLED": "false",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(
        [*manage, "migrate", "--noinput"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    subprocess.run([*manage, "load_demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    log = open(tmp_path_factory.mktemp("gunicorn") / "log", "w")
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "cms.wsgi:application", "--bind", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/api/v3/openapi.json", timeout=5)
            break
        except OSError:
            if time.monotonic() > deadline or web.poll() is not None:
                raise
            time.sleep(0.3)
    page_id = int(
        postgres.query("SELECT id FROM wagtailcore_page WHERE slug = 'internationella-samarbeten'")
    )
    yield {"postgres": postgres, "url": url, "page_id": page_id}
    web.terminate()
    web.wait(timeout=30)
    log.close()
    with contextlib.suppress(subprocess.CalledProcessError):
        postgres.stop()
    shutil.rmtree(folder, ignore_errors=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def request(url, data=None, headers=None, method=None):
    """(status, headers, body text): the server's answer, whatever its status."""
    sent = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with OPENER.open(sent, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


class HiddenInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values = {}
        self.buttons = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.values[attrs["name"]] = attrs.get("value", "")
        if tag == "button":
            self.buttons.append(attrs)


def answer(page_id, **fields):
    return {"helpful": "no", "token": aged_token(page_id), **fields}


def count_answers(postgres):
    return int(postgres.query("SELECT count(*) FROM feedback_feedback"))


def test_a_post_with_the_database_stopped_is_a_503_and_nothing_is_stored(stack):
    postgres, url, page_id = stack["postgres"], stack["url"], stack["page_id"]
    before = count_answers(postgres)
    sent = answer(page_id, rating="2", comment=COMMENT, email="besokare@example.se")
    form = urllib.parse.urlencode(sent).encode()
    form_headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
    payload = {"page": page_id, "helpful": "yes", "rating": 4, "token": aged_token(page_id)}

    with postgres.stopped():
        # The widget's form, without the script: the answer to send again.
        status, headers, body = request(f"{url}/feedback/{page_id}/", form, form_headers)
        assert status == 503, body[:500]
        assert headers["Retry-After"] == str(settings.DATABASE_RETRY_AFTER_SECONDS)
        assert UNAVAILABLE in body
        again = HiddenInputs()
        again.feed(body)
        assert again.values == sent
        assert [b.get("type") for b in again.buttons] == ["submit"]
        assert f'action="/feedback/{page_id}/"' in body
        assert "Ring mig gärna." in body and "besokare@example.se" in body

        # The widget's script asks for JSON.
        status, headers, body = request(
            f"{url}/feedback/{page_id}/", form, {**form_headers, "Accept": "application/json"}
        )
        assert status == 503
        assert json.loads(body) == {"ok": False, "message": UNAVAILABLE}
        assert headers["Retry-After"] == str(settings.DATABASE_RETRY_AFTER_SECONDS)

        # A fresh token for the widget.
        status, headers, body = request(
            f"{url}/feedback/{page_id}/token/", headers={"Accept": "application/json"}
        )
        assert status == 503 and headers["Retry-After"]

        # The API's JSON operation, and its token.
        status, headers, body = request(
            f"{url}/api/v3/feedback/",
            json.dumps(payload).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 503, body
        assert headers["Content-Type"] == "application/problem+json"
        assert json.loads(body)["detail"] == DATABASE_AWAY
        assert headers["Retry-After"] == str(settings.DATABASE_RETRY_AFTER_SECONDS)
        status, headers, body = request(f"{url}/api/v3/feedback/token/?page={page_id}")
        assert status == 503 and headers["Retry-After"]

    # Back: nothing was stored, half or whole; sending again is one post.
    assert count_answers(postgres) == before
    status, headers, _ = request(
        f"{url}/feedback/{page_id}/", urllib.parse.urlencode(again.values).encode(), form_headers
    )
    assert status == 303, headers
    status, _, body = request(
        f"{url}/api/v3/feedback/",
        json.dumps(payload).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 201, body
    assert count_answers(postgres) == before + 2
    stored = postgres.query(
        "SELECT helpful, rating, contact_email FROM feedback_feedback ORDER BY id DESC LIMIT 2"
    )
    assert stored.splitlines() == ["t|4|", "f|2|besokare@example.se"]


@pytest.mark.browser
def test_without_javascript_the_503_page_sends_the_answer_again(stack, browser):  # noqa: F811
    postgres, url = stack["postgres"], stack["url"]
    before = count_answers(postgres)
    context = browser.new_context(locale="sv-SE", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(url + INTERNATIONAL_PAGE)
        widget = page.locator("#feedback")
        widget.get_by_label("Nej").check()
        widget.locator("[name=rating][value='3']").check()
        widget.get_by_label("Kan du utveckla ditt svar lite mer?").fill(COMMENT)
        time.sleep(settings.FEEDBACK_MIN_SECONDS)  # a person, not a bot
        with postgres.stopped():
            widget.get_by_role("button", name="Skicka").click()
            page.wait_for_load_state()
            assert page.get_by_role("alert").inner_text() == UNAVAILABLE
            assert "Kartan saknas." in page.locator(".feedback__sent").inner_text()
        page.get_by_role("button", name="Skicka igen").click()
        page.wait_for_url(re.compile(r"\?tack=1"))
        assert "Tack för att du hjälper oss" in page.content()
    finally:
        context.close()
    assert count_answers(postgres) == before + 1
    stored = postgres.query(
        "SELECT helpful, rating, is_spam FROM feedback_feedback ORDER BY id DESC LIMIT 1"
    )
    assert stored == "f|3|f"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_widget_keeps_the_answer_and_sends_it_again(demo_site, open_page, settings):  # noqa: F811
    settings.FEEDBACK_MIN_SECONDS = 0  # a person in a test types faster than the bot check
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
    page.wait_for_function(f"{STATUS}.includes('Tack för ditt svar!')")
    assert Feedback.objects.get().helpful is True
    assert alert.inner_text() == ""

    widget.locator("[name=rating][value='4']").check()
    widget.get_by_label("Kan du utveckla ditt svar lite mer?").fill(COMMENT)
    widget.get_by_label("Får vi kontakta dig (frivilligt)?").fill("besokare@example.se")
    away["now"] = True
    widget.get_by_role("button", name="Skicka").click()
    again.wait_for()
    # Everything the visitor wrote is where they wrote it.
    assert widget.locator("[name=rating][value='4']").is_checked()
    assert widget.get_by_label("Kan du utveckla ditt svar lite mer?").input_value() == COMMENT
    assert widget.get_by_label("Får vi kontakta dig (frivilligt)?").input_value() == (
        "besokare@example.se"
    )
    assert Feedback.objects.get().rating is None
    assert_accessible(recorder)

    away["now"] = False
    again.click()
    page.wait_for_function(f"{STATUS}.includes('Tack för att du')")
    answer = Feedback.objects.get()
    assert (answer.rating, answer.contact_email) == (4, "besokare@example.se")
    assert answer.comment_as_received.replace("\r\n", "\n") == COMMENT  # as a form sends it
