"""GET /healthz/: the pipeline's health, as monitoring and the compose
healthchecks read it (the detailed report: the test client's address is
internal), with a real worker, Redis and database. What strangers get, and
what a check costs: tests/security/test_health.py."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone
from wagtail.models import Revision

from intl_pages.models import InternationalPage
from tasks import publishing
from tests.ports import free_port

SWEEP = "tasks.sweep_schedule"


def health(query=""):
    response = Client().get(f"/healthz/{query}")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


@pytest.mark.django_db(transaction=True)
def test_healthy_with_a_worker_and_a_recent_sweep(worker, task_runs):
    publishing.sweep_schedule.delay()  # what beat sends every few seconds
    task_runs.wait_for(SWEEP)

    status, data = health()
    assert status == 200, data
    assert data["ok"] is True
    assert data["database"] is True and data["broker"] is True
    assert data["workers_ok"] is True
    assert all(0 <= note["seconds_ago"] < 30 for note in data["heartbeats"].values())
    assert data["beat_ok"] is True
    assert 0 <= data["last_sweep_seconds_ago"] < 30
    assert data["overdue"] == 0

    # Beat stopped: no sweep noted.
    cache.delete(publishing.LAST_SWEEP_KEY)
    status, data = health()
    assert status == 503
    assert data["beat_ok"] is False and data["ok"] is False
    assert data["last_sweep_seconds_ago"] is None
    assert data["workers_ok"] is True


@pytest.mark.django_db(transaction=True)
def test_overdue_work_makes_it_unhealthy(worker, page_tx, task_runs):
    publishing.sweep_schedule.delay()
    task_runs.wait_for(SWEEP)
    page = InternationalPage.objects.get(pk=page_tx.pk)
    revision = page.save_revision()
    Revision.objects.filter(pk=revision.pk).update(
        approved_go_live_at=timezone.now() - timedelta(minutes=5)
    )
    status, data = health()
    assert status == 503
    assert data["overdue"] == 1 and data["ok"] is False
    assert data["beat_ok"] is True


@pytest.mark.django_db(transaction=True)
def test_no_worker_beating_makes_it_unhealthy(page_tx, broker, cache_redis):
    cache.set(publishing.LAST_SWEEP_KEY, time.time(), timeout=None)  # as a sweep notes it
    status, data = health()
    assert status == 503
    assert data["workers_ok"] is False and data["ok"] is False
    assert data["heartbeats"] == {"celery": None, "schedule": None}
    assert data["beat_ok"] is True and data["broker"] is True
    assert "workers" not in data  # no worker was pinged


@pytest.mark.django_db(transaction=True)
def test_redis_cache_down_answers_503_in_json(page_tx):
    """Redis down is when the health check matters most: it must still
    answer its JSON, not fail with a 500."""
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    dead_cache = {"default": {**settings.CACHES["default"], "LOCATION": dead_redis}}
    with override_settings(CACHES=dead_cache):
        client = Client(raise_request_exception=False)
        response = client.get("/healthz/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["ok"] is False and data["beat_ok"] is False
    # The cache itself turns the outage into misses; the check asks Redis.
    assert data["cache"] is False and data["cache_error"] == "ConnectionError"


@pytest.mark.django_db
def test_failing_and_switched_off_webhook_endpoints_are_reported(settings):
    from webhooks.models import Endpoint

    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    Endpoint.objects.create(url="http://127.0.0.1:9/a", events=["page.published"])
    Endpoint.objects.create(
        url="http://127.0.0.1:9/b", events=["page.published"], failing_since=timezone.now()
    )
    Endpoint.objects.create(
        url="http://127.0.0.1:9/c",
        events=["page.published"],
        is_active=False,
        disabled_at=timezone.now(),
    )

    _, data = health()

    assert (data["webhook_endpoints_failing"], data["webhook_endpoints_switched_off"]) == (1, 1)
    assert data["webhook_deliveries_waiting"] == 0
