"""Feedback with the database away: a 503 with Retry-After and a Swedish
message, never a 500, nothing half-stored; without JavaScript the 503 page
sends the same answer again with one press.

The server runs for real: a private PostgreSQL (initdb and pg_ctl as the
postgres user, in a temporary folder, on a free port; never the shared
cluster) that the test stops, and gunicorn with the test settings pointed
at it. The widget in Chromium, keeping what the visitor wrote and offering
"Skicka igen" (with and without its script), is in
tests/e2e/test_feedback_widget.py: a browser per test session."""

import contextlib
import json
import os
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

from feedback.views import UNAVAILABLE
from headless.errors import DATABASE_AWAY
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


def test_any_request_with_the_database_stopped_is_a_503_not_a_500(stack):
    """What no view catches, a database that does not answer, is Django's
    500 page: a fault to fix. It passes, so it is a 503 with Retry-After
    (cms/views.py): a page the cache does not hold (off here), a signed-in
    editor's session, the API."""
    postgres, url = stack["postgres"], stack["url"]
    retry = str(settings.DATABASE_RETRY_AFTER_SECONDS)
    with postgres.stopped():
        for path, headers in (
            ("/internationella-samarbeten/", {"Accept": "text/html"}),
            ("/admin/", {"Cookie": f"{settings.SESSION_COOKIE_NAME}=sessionen"}),
        ):
            status, answered, body = request(url + path, headers=headers)
            assert status == 503, (path, body[:300])
            assert answered["Retry-After"] == retry
            assert "Sidan kan inte visas just nu" in body
            assert '<html lang="sv">' in body
        status, answered, body = request(url + "/api/v3/pages/")
        assert status == 503, body
        assert answered["Content-Type"] == "application/problem+json"
        assert json.loads(body)["detail"] == DATABASE_AWAY
        assert answered["Retry-After"] == retry


class FormFields(HTMLParser):
    """The values of a form's fields: inputs and textareas."""

    def __init__(self):
        super().__init__()
        self.values = {}
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.values[attrs["name"]] = attrs.get("value", "")
        if tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def test_a_report_with_the_database_stopped_keeps_what_was_written(stack):
    """The report form of the accessibility statement: a 503 that shows the
    form as the visitor wrote it, whose one press sends it again."""
    postgres, url = stack["postgres"], stack["url"]
    statement_id = int(
        postgres.query("SELECT id FROM wagtailcore_page WHERE slug = 'tillganglighetsredogorelse'")
    )
    form_url = f"{url}/feedback/{statement_id}/rapportera-brist/"
    sent = {
        "problem": "Kartan går inte att nå med tangentbord.",
        "location": "/internationella-samarbeten/",
        "email": "besokare@example.se",
        "token": aged_token(statement_id),
    }
    form_headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
    before = count_answers(postgres)

    with postgres.stopped():
        status, headers, body = request(
            form_url, urllib.parse.urlencode(sent).encode(), form_headers
        )
        assert status == 503, body[:500]
        assert headers["Retry-After"] == str(settings.DATABASE_RETRY_AFTER_SECONDS)
        assert UNAVAILABLE in body and "Skicka igen" in body
        kept = FormFields()
        kept.feed(body)
        assert {name: kept.values.get(name) for name in sent} == sent
        status, _, body = request(form_url, headers={"Accept": "text/html"})
        assert status == 503 and UNAVAILABLE in body

    assert count_answers(postgres) == before
    status, headers, _ = request(
        form_url, urllib.parse.urlencode(kept.values).encode(), form_headers
    )
    assert status == 303, headers
    assert count_answers(postgres) == before + 1
    assert (
        postgres.query("SELECT kind, location FROM feedback_feedback ORDER BY id DESC LIMIT 1")
        == "accessibility|/internationella-samarbeten/"
    )
