"""Through the real queue: a publish that commits queues its delivery on the
default queue (never the scheduling one), a real worker delivers it signed,
the sweep brings a failed one back when it is due, and a delivery queued
while Redis is down waits in the database and is sent when it is back."""

import pytest
from celery import current_app
from django.conf import settings
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from changes import signals as changes
from tasks import webhooks as webhook_tasks
from tasks.models import UnsentTask
from tasks.outbox import resend_unsent_tasks
from tests.tasks.support import (
    fetch_page,
    queued_messages,
    redis_down,
    task_args,
    task_names,
    wait_until,
)
from webhooks.models import Delivery, DeliveryStatus

from .conftest import make_endpoint

pytestmark = pytest.mark.usefixtures("private_allowed")

WEBHOOK_TASKS = (
    "tasks.deliver_webhook",
    "tasks.sweep_webhook_deliveries",
    "tasks.erase_old_webhook_logs",
)


def publish_title(page, title):
    page = fetch_page(page.pk)
    page.title = title
    page.save_revision().publish()


@pytest.mark.parametrize("name", WEBHOOK_TASKS)
def test_webhook_tasks_never_go_to_the_scheduling_queue(name):
    route = current_app.amqp.router.route({}, name)
    assert route["queue"].name == "celery" != settings.SCHEDULE_QUEUE


def test_a_committed_publish_queues_its_delivery_on_the_default_queue(page_tx, broker, listener):
    make_endpoint(listener.url, events=[changes.PAGE_PUBLISHED])
    publish_title(page_tx, "Ny rubrik")
    row = Delivery.objects.get()
    assert task_names(queued_messages(broker, ["celery"])).count("tasks.deliver_webhook") == 1
    assert "tasks.deliver_webhook" not in task_names(
        queued_messages(broker, [settings.SCHEDULE_QUEUE])
    )
    (message,) = [
        m
        for m in queued_messages(broker, ["celery"])
        if m["headers"]["task"] == "tasks.deliver_webhook"
    ]
    assert task_args(message) == [row.pk]


def test_a_worker_delivers_a_publish_signed(worker, task_runs, page_tx, listener):
    endpoint = make_endpoint(listener.url, events=[changes.PAGE_PUBLISHED])
    publish_title(page_tx, "Ny rubrik")

    (run,) = task_runs.wait_for("tasks.deliver_webhook")
    assert run.retval == "delivered"
    (received,) = listener.received
    payload = Webhook(endpoint.secret).verify(received.body, received.headers)
    assert payload["type"] == "page.published"
    assert payload["data"]["pages"][0]["title"] == "Ny rubrik"
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_the_sweep_brings_back_a_failed_delivery_when_it_is_due(
    worker, task_runs, page_tx, listener
):
    endpoint = make_endpoint(listener.url, events=[changes.PAGE_PUBLISHED])
    listener.answer(503)
    publish_title(page_tx, "Ny rubrik")
    (run,) = task_runs.wait_for("tasks.deliver_webhook")
    assert run.retval == "retry"
    row = Delivery.objects.get()
    assert row.next_attempt_at > timezone.now()

    # Not due: the sweep finds nothing. Due (as 30 s later): it is sent again.
    webhook_tasks.sweep_webhook_deliveries.delay()
    (sweep,) = task_runs.wait_for("tasks.sweep_webhook_deliveries")
    assert sweep.retval == 0
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    webhook_tasks.sweep_webhook_deliveries.delay()
    task_runs.wait_for("tasks.deliver_webhook", count=2)

    wait_until(lambda: Delivery.objects.get().status == DeliveryStatus.DELIVERED)
    first, second = listener.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    Webhook(endpoint.secret).verify(second.body, second.headers)


def test_redis_down_keeps_the_delivery_until_it_is_back(page_tx, broker, listener):
    make_endpoint(listener.url, events=[changes.PAGE_PUBLISHED])
    with redis_down():
        publish_title(page_tx, "Ny rubrik")
    row = Delivery.objects.get()
    kept = UnsentTask.objects.get(task_name="tasks.deliver_webhook")
    assert kept.args == [row.pk]

    assert resend_unsent_tasks() >= 1
    assert "tasks.deliver_webhook" in task_names(queued_messages(broker, ["celery"]))
    # And the sweep would find it anyway: the row is due.
    assert row.pk in webhook_tasks.delivery.due()
