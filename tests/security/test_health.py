"""A health check that costs nothing (issue 14): the public /healthz/ answers
from what the workers and beat note themselves, asks no worker anything (no
broadcast on the broker), says ok or not and nothing else, and keeps its
verdict a moment; the detailed report only with the health token or from an
internal address. With a real worker, Redis and database."""

import time
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from tasks import health, heartbeat, publishing
from tests.tasks import conftest as pipeline
from tests.tasks.support import QUEUES, in_process_worker, wait_until

# The pipeline tests' fixtures: the broker's and the cache's Redis, emptied;
# what the in-process worker ran.
broker, cache_redis, task_runs = pipeline.broker, pipeline.cache_redis, pipeline.task_runs

SWEEP = "tasks.sweep_schedule"
OUTSIDER = "203.0.113.7"  # a visitor's address, not internal
TOKEN = "hälsa-" + "x" * 40


@pytest.fixture(autouse=True)
def fresh_verdicts():
    health._memo.clear()
    yield
    health._memo.clear()


def get(remote=OUTSIDER, **headers):
    response = Client().get("/healthz/", REMOTE_ADDR=remote, **headers)
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


@contextmanager
def broadcasts_on(broker_client):
    """Every control broadcast sent through the broker while the block runs
    (kombu's Redis transport publishes a fanout message, such as the
    inspect ping, on a channel named after the `celery.pidbox` exchange)."""
    pubsub = broker_client.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe("*pidbox*")
    seen = []
    try:
        yield seen
    finally:
        deadline = time.monotonic() + 0.5  # what is published is delivered by now
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.1)
            if message is not None:
                seen.append(message["channel"])
        pubsub.close()


class Worker:
    """A real worker in a thread of this process, on both queues."""

    def __init__(self):
        self.running = in_process_worker()
        self.running.__enter__()

    def stop(self):
        if self.running is not None:
            self.running.__exit__(None, None, None)
            self.running = None


@pytest.fixture
def beating(transactional_db, broker, cache_redis, task_runs):
    """A real worker beating five times a second, and beat's sweep run once
    through it. Yields the worker, to stop it."""
    with override_settings(HEALTH_HEARTBEAT_SECONDS=0.2, HEALTH_HEARTBEAT_STALE_SECONDS=2):
        worker = Worker()
        try:
            publishing.sweep_schedule.delay()  # what beat sends every few seconds
            task_runs.wait_for(SWEEP)
            yield worker
        finally:
            worker.stop()


def test_the_public_check_asks_no_worker_and_goes_503_when_the_worker_stops(beating, broker):
    with broadcasts_on(broker) as seen:
        status, data = get()
        assert (status, data) == (200, {"ok": True})

        beating.stop()  # the worker stops: no more heartbeats
        status, data = wait_until(
            lambda: (lambda answer: answer if answer[0] == 503 else None)(get()),
            what="the public check to notice the stopped worker",
        )
        assert data == {"ok": False}
        _, detailed = get(remote="127.0.0.1")
        assert detailed["workers_ok"] is False and detailed["beat_ok"] is True
        assert set(detailed["heartbeats"]) == set(QUEUES)
        assert all(
            note["seconds_ago"] > 2 and "@" in note["worker"]
            for note in detailed["heartbeats"].values()
        )
    assert seen == []

    # The counter does see a broadcast: the operator's command still pings.
    with broadcasts_on(broker) as seen, pytest.raises(Exception, match="mår inte bra"):
        call_command("pipeline_health")
    assert seen


def test_a_queue_without_a_heartbeat_is_unhealthy(transactional_db, cache_redis):
    """Only the scheduling queue's worker beats: background work would pile up."""
    cache.set(publishing.LAST_SWEEP_KEY, time.time(), timeout=None)
    heartbeat.beat("schedule@test", ["schedule"])
    assert get() == (503, {"ok": False})
    heartbeat.beat("background@test", ["celery"])
    assert get() == (200, {"ok": True})
    heartbeat.beat("background@test", ["celery"], now=time.time() - 120)  # a minute ago
    assert get() == (503, {"ok": False})


def test_the_detailed_report_needs_the_token_or_an_internal_address(beating, settings):
    settings.HEALTH_TOKEN = TOKEN
    settings.TRUSTED_PROXIES = ["10.0.0.2"]

    _, public = get()
    assert public == {"ok": True}
    assert "feedback_rate_limit" not in public

    for remote, headers in [
        (OUTSIDER, {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}),
        ("127.0.0.1", {}),
        ("::1", {}),
        # The proxy forwarding an internal client.
        ("10.0.0.2", {"HTTP_X_FORWARDED_FOR": "127.0.0.1"}),
    ]:
        status, data = get(remote, **headers)
        assert status == 200, (remote, data)
        assert data["feedback_rate_limit"] == "ok"
        assert data["database"] is True and data["workers_ok"] is True
        assert {"overdue", "unsent", "heartbeats", "last_sweep_seconds_ago"} <= set(data)

    for remote, headers in [
        (OUTSIDER, {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}x"}),
        (OUTSIDER, {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"}),
        (OUTSIDER, {"HTTP_AUTHORIZATION": "Bearer "}),
        (OUTSIDER, {"HTTP_AUTHORIZATION": "Bearer åäö"}),
        # Written by the client itself, not by a trusted proxy.
        (OUTSIDER, {"HTTP_X_FORWARDED_FOR": "127.0.0.1"}),
        # The proxy forwarding an outside client.
        ("10.0.0.2", {"HTTP_X_FORWARDED_FOR": OUTSIDER}),
    ]:
        assert get(remote, **headers) == (200, {"ok": True}), (remote, headers)


def test_without_a_token_set_no_bearer_opens_the_report(beating, settings):
    settings.HEALTH_TOKEN = ""
    assert get(HTTP_AUTHORIZATION="Bearer ") == (200, {"ok": True})


def test_a_flood_of_checks_costs_one_check_a_second(beating, settings):
    settings.HEALTH_MEMO_SECONDS = 60
    with CaptureQueriesContext(connection) as first:
        assert get() == (200, {"ok": True})
    with CaptureQueriesContext(connection) as flood:
        for _ in range(20):
            assert get() == (200, {"ok": True})
    assert len(first) >= 1  # the database is asked...
    assert len(flood) == 0  # ...once for the whole flood
