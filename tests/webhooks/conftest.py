"""Fixtures of the webhook tests: a real HTTP listener in a thread, endpoints,
and the pipeline tests' content and Redis fixtures for the worker tests."""

import http.server
import threading
from dataclasses import dataclass, field

import pytest
from django.test import override_settings

from changes.signals import KINDS
from tests.tasks.conftest import (  # noqa: F401 (the pipeline tests' fixtures)
    broker,
    cache_redis,
    content_tx,
    page_db,
    page_tx,
    task_runs,
    worker,
)
from webhooks.models import Endpoint, generate_secret


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Listener:
    """A real HTTP server on 127.0.0.1 that records every POST and answers
    with the next of `statuses` (then 200 for ever)."""

    statuses: list = field(default_factory=list)
    received: list = field(default_factory=list)
    location: str = ""
    url: str = ""

    def answer(self, *statuses):
        self.statuses[:] = list(statuses)


@pytest.fixture
def listener():
    state = Listener()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", state.location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def private_allowed():
    """Deliveries to 127.0.0.1, where the test listener is."""
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=True):
        yield


def make_endpoint(url, events=KINDS, user=None, **fields):
    return Endpoint.objects.create(
        url=url, events=list(events), secret=generate_secret(), created_by=user, **fields
    )


@pytest.fixture
def endpoint(db, listener):
    """An active endpoint at the listener, subscribed to every kind."""
    return make_endpoint(listener.url)
