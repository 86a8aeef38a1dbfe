"""Delivery against a real HTTP listener: signatures a Standard Webhooks
verifier accepts (a resend too: same id, new timestamp), retries with
backoff on the row until the endpoint recovers, the sweep, giving up after
a day, an endpoint switched off after a day of failures, retention."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from changes import signals as changes
from webhooks import delivery, events
from webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint

from .conftest import make_endpoint

pytestmark = pytest.mark.usefixtures("private_allowed")


def record_one(kind=changes.PAGE_PUBLISHED, page_ids=(), contact_id=None):
    (delivery_id,) = events.record(kind, page_ids, contact_id)
    return Delivery.objects.get(pk=delivery_id)


def verify(endpoint, received):
    return Webhook(endpoint.secret).verify(received.body, received.headers)


def test_a_delivery_is_signed_so_that_the_verifier_accepts_it(endpoint, listener):
    row = record_one()
    assert delivery.deliver(row.pk) == delivery.DELIVERED

    (received,) = listener.received
    assert received.path == "/hook"
    payload = verify(endpoint, received)
    assert payload["type"] == changes.PAGE_PUBLISHED
    assert received.headers["webhook-id"] == row.webhook_id
    assert received.headers["Content-Type"] == "application/json"
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 1
    assert row.last_status_code == 200 and row.next_attempt_at is None


def test_another_secret_does_not_verify(endpoint, listener):
    delivery.deliver(record_one().pk)
    other = make_endpoint(listener.url)
    with pytest.raises(WebhookVerificationError):
        verify(other, listener.received[0])


def test_a_resend_has_the_same_id_a_fresh_timestamp_and_verifies(endpoint, listener, monkeypatch):
    row = record_one()
    # The first attempt signed six minutes ago: too old for the verifier now.
    long_ago = datetime.now(UTC) - timedelta(minutes=6)
    monkeypatch.setattr(
        delivery,
        "signed_headers",
        lambda d, s, now=None, f=delivery.signed_headers: f(d, s, long_ago),
    )
    delivery.deliver(row.pk)
    monkeypatch.undo()
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(endpoint, listener.received[0])

    assert delivery.resend(row.pk)
    assert delivery.deliver(row.pk) == delivery.DELIVERED

    first, second = listener.received
    assert second.headers["webhook-id"] == first.headers["webhook-id"] == row.webhook_id
    assert int(second.headers["webhook-timestamp"]) > int(first.headers["webhook-timestamp"])
    assert second.body == first.body
    assert verify(endpoint, second)["type"] == changes.PAGE_PUBLISHED
    assert Attempt.objects.filter(delivery=row).count() == 2


def test_signing_a_stockholm_time_as_the_package_does_gives_a_refused_signature(endpoint):
    """Why signed_headers turns the time into UTC first: the package reads a
    datetime's wall-clock time as UTC."""
    row = record_one()
    stockholm_now = datetime.now(ZoneInfo("Europe/Stockholm"))
    headers = {
        "webhook-id": row.webhook_id,
        "webhook-timestamp": str(int(stockholm_now.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(
            row.webhook_id, stockholm_now, row.payload
        ),
    }
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(endpoint.secret).verify(row.payload, headers)

    # The same moment through signed_headers verifies.
    ours = delivery.signed_headers(row, endpoint.secret, now=stockholm_now)
    assert ours["webhook-timestamp"] == headers["webhook-timestamp"]
    assert Webhook(endpoint.secret).verify(row.payload, ours)


def test_retries_against_an_endpoint_that_fails_then_recovers(endpoint, listener):
    listener.answer(500, 503)
    row = record_one()
    start = timezone.now()

    assert delivery.deliver(row.pk, now=start) == delivery.RETRY
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    first_retry = row.next_attempt_at
    assert timedelta(seconds=30) <= first_retry - start < timedelta(seconds=31)
    assert "500" in row.last_error

    # Not due yet: the sweep leaves it, and a duplicate message does nothing.
    assert row.pk not in delivery.due(now=start)
    assert delivery.deliver(row.pk, now=start) == delivery.SKIPPED

    assert row.pk in delivery.due(now=first_retry)
    assert delivery.deliver(row.pk, now=first_retry) == delivery.RETRY
    row.refresh_from_db()
    second_retry = row.next_attempt_at
    assert timedelta(seconds=60) <= second_retry - first_retry < timedelta(seconds=61)

    assert delivery.deliver(row.pk, now=second_retry) == delivery.DELIVERED
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 3
    assert [r.headers["webhook-id"] for r in listener.received] == [row.webhook_id] * 3
    for received in listener.received:
        verify(endpoint, received)
    codes = sorted(Attempt.objects.filter(delivery=row).values_list("status_code", flat=True))
    assert codes == [200, 500, 503]
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.is_active


def test_backoff_doubles_from_half_a_minute_to_at_most_an_hour():
    delays = [delivery.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_an_attempt_that_cannot_connect_is_logged_and_retried(db):
    endpoint = make_endpoint("http://127.0.0.1:9/nowhere")  # discard port: refused
    row = record_one()
    assert delivery.deliver(row.pk) == delivery.RETRY
    (attempt,) = Attempt.objects.filter(delivery=row)
    assert attempt.status_code is None and attempt.error and not attempt.succeeded
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.is_active


def test_a_delivery_is_given_up_after_a_day(endpoint, listener):
    listener.answer(*[500] * 5)
    row = record_one()
    last_chance = row.retry_until - timedelta(seconds=10)
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=last_chance)
    assert delivery.deliver(row.pk, now=last_chance) == delivery.FAILED
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and row.next_attempt_at is None
    assert row.pk not in delivery.due(now=row.retry_until + timedelta(days=1))


def test_an_endpoint_failing_for_a_day_is_switched_off(endpoint, listener, mailoutbox):
    owner = get_user_model().objects.create_user("integrator", "integ@example.org", "x")
    Endpoint.objects.filter(pk=endpoint.pk).update(created_by=owner)
    listener.answer(500, 500)
    row = record_one()
    assert delivery.deliver(row.pk) == delivery.RETRY
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since

    # A day of failures later (and no success in between).
    Endpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(days=1, seconds=1)
    )
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    delivery.deliver(row.pk)
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at
    (mail,) = mailoutbox
    assert mail.to == ["integ@example.org"] and endpoint.url in mail.body
    assert "/admin/webhooks/" in mail.body

    # Nothing more is sent to it, a new event included.
    assert events.record(changes.PAGE_PUBLISHED, []) == []
    sent = len(listener.received)
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert delivery.deliver(row.pk) == delivery.FAILED
    assert len(listener.received) == sent
    assert not delivery.resend(row.pk)


def test_a_success_clears_the_failing_streak(endpoint, listener):
    listener.answer(500)
    row = record_one()
    delivery.deliver(row.pk)
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    delivery.deliver(row.pk)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_only_subscribed_active_endpoints_get_a_delivery(db, listener):
    pages_only = make_endpoint(listener.url, events=[changes.PAGE_PUBLISHED])
    make_endpoint(listener.url, events=[changes.PAGE_PUBLISHED], is_active=False)
    contacts = make_endpoint(listener.url, events=[changes.CONTACT_PUBLISHED])

    ids = events.record(changes.PAGE_PUBLISHED, [])
    assert list(Delivery.objects.filter(pk__in=ids).values_list("endpoint", flat=True)) == [
        pages_only.pk
    ]
    ids = events.record(changes.CONTACT_PUBLISHED, [], contact_id=7)
    (row,) = Delivery.objects.filter(pk__in=ids)
    assert row.endpoint == contacts
    assert json.loads(row.payload)["data"]["contact_id"] == 7


def test_old_logs_are_erased_after_the_retention_period(endpoint, listener, settings):
    settings.WEBHOOKS_LOG_RETENTION_DAYS = 30
    old, recent, waiting = record_one(), record_one(), record_one()
    delivery.deliver(old.pk)
    delivery.deliver(recent.pk)
    long_ago = timezone.now() - timedelta(days=31)
    Delivery.objects.filter(pk__in=[old.pk, waiting.pk]).update(created_at=long_ago)
    Attempt.objects.filter(delivery=old).update(started_at=long_ago)

    assert delivery.erase_old_logs() == 2  # the old delivery and its attempt
    assert set(Delivery.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert Attempt.objects.filter(delivery=recent).exists()


def test_a_claim_whose_worker_died_is_due_again_once_its_lease_is_over(endpoint, listener):
    row = record_one()
    now = timezone.now()
    lease_until = delivery.claim(row.pk, now)  # a worker took it, then died
    assert lease_until and delivery.claim(row.pk, now) is None  # nobody else may
    assert row.pk not in delivery.due(now=lease_until - timedelta(seconds=1))
    assert row.pk in delivery.due(now=lease_until)
    assert delivery.deliver(row.pk, now=lease_until) == delivery.DELIVERED
    assert len(listener.received) == 1
