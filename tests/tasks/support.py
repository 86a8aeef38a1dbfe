"""Helpers of the pipeline tests: the content they build, waiting, workers,
locks, queues."""

import base64
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

import kombu.pools
import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import OperationalError, connection, connections
from django.test import override_settings
from django.utils import timezone

from cms import stack
from cms.celery import app
from intl_pages.models import Contact, InternationalPage
from tests.builders import (
    contacts_block,
    heading,
    make_contact,
    make_page,
    make_site_root,
    paragraph,
    twin_town,
)
from tests.ports import free_port

DEADLINE = 30  # seconds: how long a test waits for the worker, at most

# The content the pipeline tests build (tests/builders.py), not the demo's:
# under the home page at "/", one international page with a heading, a
# paragraph, two twin towns and a contacts block showing Kim and Alex.
# The fixtures of conftest.py build it (`page_tx`, `kim`, `alex`, `page_db`).

PAGE_TITLE = "Vänorter och samarbeten"
PAGE_SLUG = "vanorter-och-samarbeten"
PAGE_URL = f"/{PAGE_SLUG}/"  # where the home page, the site's root, serves it
KIM = {
    "name": "Kim Kontaktsson",
    "title": "Utvecklingsledare",
    "phone": "031-390 06 21",
    "email": "kim.kontaktsson@example.org",
}
ALEX = {
    "name": "Alex Andrasson",
    "title": "Näringslivsutvecklare",
    "phone": "031-390 06 22",
    "email": "alex.andrasson@example.org",
}
SAM = {  # published, but on no page until a test puts it there
    "name": "Sam Provsson",
    "title": "Projektledare",
    "phone": "0510-77 00 01",
    "email": "sam.provsson@example.org",
}


def page_body(*contacts):
    """The test page's body, its contacts block showing `contacts` (raw
    items: `tests.builders.stream(page_body(...))` makes a body of them)."""
    return [
        heading("Våra vänorter"),
        paragraph("<p>Kommunen samarbetar med orter i andra länder.</p>"),
        twin_town(city="Norrby", country="Finland", agreement="Vänortsavtal", start_year=1950),
        twin_town(city="Söderhamna", country="Ungern", agreement="Samarbetsavtal", start_year=2004),
        contacts_block(*contacts),
    ]


@dataclass
class Content:
    """What `build_content` made, as it was built."""

    page: InternationalPage
    kim: Contact
    alex: Contact


def build_content():
    """The home page, then Kim and Alex, published, then the page that shows
    them, published (the order an editor would make them in)."""
    make_site_root()
    kim = make_contact(**KIM)
    alex = make_contact(**ALEX)
    page = make_page(title=PAGE_TITLE, slug=PAGE_SLUG, body=page_body(kim, alex))
    assert page.url == PAGE_URL, page.url
    return Content(page=page, kim=kim, alex=alex)


requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (CI sets DATABASE_URL=postgres://...): the SQLite test "
    "database is in this process's memory, invisible to a worker process, and has no row locks",
)


def wait_until(predicate, timeout=DEADLINE, interval=0.1, what="the condition"):
    """Poll `predicate` until it returns something true; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except OperationalError as exc:
            # SQLite's in-memory test database is shared between threads in
            # shared-cache mode, where a reader meets the worker's write lock
            # at once instead of waiting (a file in WAL mode, as `make run`
            # uses, never does): read again.
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Waited {timeout} s for {what}; last value: {value!r}")
        time.sleep(interval)


def sleep_until(moment):
    """Sleep until the clock has passed `moment` (an aware datetime)."""
    remaining = (moment - timezone.now()).total_seconds()
    if remaining > 0:
        time.sleep(remaining)


def seconds_from_now(seconds):
    return timezone.now() + timedelta(seconds=seconds)


def fetch_page(page_id):
    return InternationalPage.objects.get(pk=page_id)


def fetch_contact(contact_id):
    return Contact.objects.get(pk=contact_id)


def schedule_page(page, go_live_at, **changes):
    """What an editor's "Publish" with a go-live time in the future does:
    a new revision, approved to go live then. Returns the revision."""
    page = fetch_page(page.pk)
    for name, value in changes.items():
        setattr(page, name, value)
    page.go_live_at = go_live_at
    revision = page.save_revision()
    revision.publish()
    revision.refresh_from_db()
    assert revision.approved_go_live_at == go_live_at, "Wagtail did not schedule it"
    return revision


QUEUES = ("celery", settings.SCHEDULE_QUEUE)


def queued_messages(broker_client, queues=QUEUES):
    """The task messages waiting in the Redis queues (not yet taken by a worker)."""
    return [json.loads(raw) for queue in queues for raw in broker_client.lrange(queue, 0, -1)]


def task_names(messages):
    return [message["headers"]["task"] for message in messages]


def task_args(message):
    """The positional arguments of a queued task message (JSON, base64 in Redis)."""
    assert message["properties"]["body_encoding"] == "base64"
    args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    return args


@contextmanager
def redis_down():
    """Redis stops answering, for this process: the broker and the cache
    point at a port where nothing listens (connection refused, as when the
    server is down), and back at the real Redis when the block ends."""
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    broker_url = app.conf.broker_url
    with override_settings(CACHES={"default": {**settings.CACHES["default"], "LOCATION": nowhere}}):
        _point_broker_at(nowhere)
        try:
            yield
        finally:
            _point_broker_at(broker_url)


def _point_broker_at(url):
    app.conf.broker_url = url
    # The app keeps its connection and producer pools, and kombu a registry
    # of them: start afresh, as Celery does in a forked process.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.control.mailbox.__dict__.pop("producer_pool", None)


@contextmanager
def purge_receiver():
    """A real HTTP server that takes PURGE requests, as Varnish would, and
    records them: yields (location for WAGTAILFRONTENDCACHE, list of paths)."""
    purged = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PURGE(self):
            purged.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", purged
    finally:
        server.shutdown()
        server.server_close()


# The database


def database_url():
    """DATABASE_URL of the test database pytest-django created (PostgreSQL)."""
    params = connection.settings_dict
    user = quote(params["USER"] or "")
    password = params.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}" if password else user
    host = params["HOST"] or "127.0.0.1"
    port = params["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{params['NAME']}"


def raw_connection():
    """A connection of its own to the test database, outside Django."""
    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"] or None,
        password=params.get("PASSWORD") or None,
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
    )


@contextmanager
def row_locked(table, pk):
    """Hold `SELECT ... FOR UPDATE` on one row in a transaction of its own, so
    that anyone else's UPDATE of that row waits until the block ends."""
    conn = raw_connection()
    try:
        conn.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [pk])  # noqa: S608
        yield conn
    finally:
        conn.rollback()
        conn.close()


def lock_waiters():
    """The statements of the sessions of the test database that are waiting
    for a lock (asked on a connection of its own: PostgreSQL keeps one
    picture of pg_stat_activity for the length of a transaction)."""
    with raw_connection() as conn:
        rows = conn.execute(
            "SELECT query FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchall()
    return [query for (query,) in rows]


def in_thread(func, *args, **kwargs):
    """Start func in a thread with its own database connection (closed at the
    end). Returns (thread, result): result gets "value" or "error"."""
    result = {}

    def run():
        try:
            result["value"] = func(*args, **kwargs)
        except BaseException as exc:  # handed to the test
            result["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


# Workers


@dataclass
class TaskRun:
    name: str
    args: list
    state: str
    retval: object


@dataclass
class TaskRuns:
    """Every task the in-process worker finished, in order (Celery's
    task_postrun signal, sent in the worker's thread)."""

    runs: list = field(default_factory=list)

    def of(self, name, *args):
        """Runs of the task whose first arguments are `args`."""
        return [
            run
            for run in list(self.runs)
            if run.name == name and run.args[: len(args)] == list(args)
        ]

    def finished(self, name, *args):
        """Runs that ended (a retry is not the end of a task)."""
        return [run for run in self.of(name, *args) if run.state != "RETRY"]

    def wait_for(self, name, *args, count=1, timeout=DEADLINE):
        wait_until(
            lambda: len(self.finished(name, *args)) >= count,
            timeout=timeout,
            what=f"{count} finished run(s) of {name}{tuple(args)}; runs so far: {self.runs}",
        )
        return self.finished(name, *args)


@contextmanager
def in_process_worker():
    """A real Celery worker in a thread of this process: solo pool, the
    project's app and broker."""
    with start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=list(QUEUES)
    ) as worker:
        yield worker


class WorkerProcess:
    """`celery -A cms worker` in a process of its own, on the test database."""

    def __init__(self, log_path):
        self.name = f"proc-{uuid.uuid4().hex[:8]}@localhost"
        self.log_path = log_path
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cms.settings.test",
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CACHE_REDIS_URL": settings.CACHE_REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "PYTHONUNBUFFERED": "1",
        }
        self.log = open(log_path, "wb")  # closed in stop()
        # Both queues in one process (solo pool); no chatter with other workers.
        worker = stack.celery_worker(
            QUEUES,
            None,
            self.name,
            pool="solo",
            extra=("--without-gossip", "--without-mingle", "--without-heartbeat"),
        )
        self.process = subprocess.Popen(
            stack.celery(sys.executable, worker),
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def output(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout=DEADLINE):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"The worker process exited at start:\n{self.output()}")
            replies = app.control.inspect(timeout=1, destination=[self.name]).ping() or {}
            if self.name in replies:
                return
        pytest.fail(f"The worker process did not answer ping in {timeout} s:\n{self.output()}")

    def kill(self):
        """SIGKILL: no warm shutdown, nothing acknowledged or given back."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=DEADLINE)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=DEADLINE)
        self.log.close()
