"""Sending a delivery: claim, sign, post, log, and decide when to try again.

The row is the truth. `deliver` claims it with a conditional UPDATE (the
claim moves `next_attempt_at` to the end of a lease, so a duplicate message
does nothing and a worker killed mid-send leaves it to the sweep once the
lease is over), signs at send time, posts outside any transaction, logs
the attempt, and writes the outcome only while the claim is still its own.
A failure sets the next attempt's time on the row, with exponential backoff,
for `WEBHOOKS_RETRY_FOR_SECONDS`; the sweep (`due`) finds it then. No
message is ever delayed in the broker.

Signatures are Standard Webhooks' (`standardwebhooks`): the same
`webhook-id` for every attempt of a delivery, a fresh `webhook-timestamp`
for each (the verifier refuses one more than five minutes old), computed
from a UTC datetime: the package reads the datetime's wall-clock time as
UTC (`timestamp.replace(tzinfo=timezone.utc)`), so a Stockholm-aware one
would be signed an hour or two off and refused.
"""

import logging
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from . import transport
from .addresses import BlockedAddress
from .models import Attempt, Delivery, DeliveryStatus, Endpoint
from .signals import deliveries_due

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600
# Longer than an attempt can take (the task's hard time limit), so a claim
# never runs out under a live attempt.
CLAIM_SECONDS = 120
SWEEP_AT_MOST = 500
USER_AGENT = "Lidkoping-CMS-Webhooks/1"

DELIVERED = "delivered"
RETRY = "retry"
FAILED = "failed"
SKIPPED = "skipped"


# Signing


def signed_headers(delivery, secret, now=None):
    """The Standard Webhooks headers for one attempt of `delivery`, signed
    now (or at `now`, any aware datetime: it is turned into UTC first)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    signature = Webhook(secret).sign(delivery.webhook_id, moment, delivery.payload)
    headers = {
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    if delivery.sequence is not None:  # rows written before sequence numbers had none
        headers["webhook-sequence"] = str(delivery.sequence)
    return headers


# When


def retry_delay(attempts):
    """30 s after the first failure, doubling, at most an hour apart: about
    thirty attempts in a day."""
    return timedelta(
        seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_RETRY_SECONDS)
    )


def due(now=None, limit=SWEEP_AT_MOST):
    """Ids of the deliveries that may be attempted now, oldest first (the
    sweep); a claim whose lease ran out is due again."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def claim(delivery_id, now):
    """The end of this caller's lease on the delivery, or None when it is
    not due or someone else has it."""
    lease_until = now + timedelta(seconds=CLAIM_SECONDS)
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease_until)
    return lease_until if claimed else None


# Sending


def _attempt(delivery):
    """Post once. Returns (status code or None, error text, success)."""
    endpoint = delivery.endpoint
    body = delivery.payload.encode()
    headers = signed_headers(delivery, endpoint.secret)
    try:
        response = transport.post(
            endpoint.url,
            body,
            headers,
            allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES,
            allow_http=settings.WEBHOOKS_ALLOW_HTTP,
            allowed_ports=settings.WEBHOOKS_ALLOWED_PORTS,
            connect_timeout=settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS,
            read_timeout=settings.WEBHOOKS_READ_TIMEOUT_SECONDS,
        )
    except BlockedAddress as exc:
        return None, str(exc), False
    except Exception as exc:  # the endpoint's failure, logged on the attempt
        return None, f"{type(exc).__name__}: {exc}"[:500], False
    if 200 <= response.status < 300:
        return response.status, "", True
    if 300 <= response.status < 400:
        return response.status, "Omdirigeringar följs inte.", False
    return response.status, f"Svarade {response.status}: {response.body}"[:500], False


def deliver(delivery_id, now=None):
    """One attempt at one delivery, if it is due and this caller claims it.
    Returns DELIVERED, RETRY, FAILED (gave up) or SKIPPED."""
    now = now or timezone.now()
    lease_until = claim(delivery_id, now)
    if lease_until is None:
        return SKIPPED
    mine = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at=lease_until
    )
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    if not delivery.endpoint.is_active:
        mine.update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, last_error="Mottagaren är avstängd."
        )
        return FAILED

    # Times from `now` (the real time unless a test moves it) and the measured duration.
    started = time.monotonic()
    status_code, error, succeeded = _attempt(delivery)
    elapsed = time.monotonic() - started
    duration_ms = int(elapsed * 1000)
    started_at, finished_at = now, now + timedelta(seconds=elapsed)
    Attempt.objects.create(
        delivery=delivery,
        started_at=started_at,
        status_code=status_code,
        error=error,
        duration_ms=duration_ms,
        succeeded=succeeded,
    )
    attempts = delivery.attempts + 1

    if succeeded:
        mine.update(
            status=DeliveryStatus.DELIVERED,
            attempts=attempts,
            next_attempt_at=None,
            delivered_at=finished_at,
            last_status_code=status_code,
            last_error="",
        )
        Endpoint.objects.filter(pk=delivery.endpoint_id).update(failing_since=None)
        return DELIVERED

    next_at = finished_at + retry_delay(attempts)
    gave_up = next_at > delivery.retry_until
    mine.update(
        status=DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING,
        attempts=attempts,
        next_attempt_at=None if gave_up else next_at,
        last_status_code=status_code,
        last_error=error,
    )
    logger.warning(
        "Webhook %s till %s misslyckades (försök %s): %s",
        delivery.webhook_id,
        delivery.endpoint.url,
        attempts,
        error or status_code,
    )
    note_failure(delivery.endpoint_id, finished_at)
    return FAILED if gave_up else RETRY


def note_failure(endpoint_id, now):
    """Count the endpoint as failing since its first failure after its last
    success; switch it off once that is `WEBHOOKS_DISABLE_AFTER_SECONDS` ago."""
    Endpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(failing_since=now)
    cutoff = now - timedelta(seconds=settings.WEBHOOKS_DISABLE_AFTER_SECONDS)
    switched_off = Endpoint.objects.filter(
        pk=endpoint_id, is_active=True, failing_since__lte=cutoff
    ).update(is_active=False, disabled_at=now)
    if switched_off:
        logger.error(
            "Webhook-mottagare %s stängdes av: den har misslyckats i ett dygn.", endpoint_id
        )
        tell_owner(Endpoint.objects.select_related("created_by").get(pk=endpoint_id))
    return bool(switched_off)


def tell_owner(endpoint):
    """An e-mail to the user who created the endpoint, besides the notice the
    admin shows them; a mail server that refuses it costs only the e-mail."""
    owner = endpoint.created_by
    if owner is None or not owner.email:
        return False
    listing = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("webhooks_endpoint:index")
    body = (
        f"Webhook-mottagaren {endpoint.url} har stängts av, eftersom alla leveranser till den "
        "har misslyckats i ett dygn. Inga fler händelser skickas dit.\n\n"
        "Rätta mottagaren och markera den som aktiv igen under Inställningar → "
        f"Webhook-mottagare:\n{listing}\n"
    )
    try:
        send_mail("Webhook-mottagare avstängd", body, None, [owner.email])
    except Exception:
        logger.exception("Kunde inte e-posta ägaren till webhook-mottagare %s.", endpoint.pk)
        return False
    return True


# What editors do


def resend(delivery_id, now=None):
    """Send a delivery again, as it was (same body, same webhook-id; signed
    anew when sent), retried for another day if need be. Returns False when
    its endpoint is switched off (nothing is sent to it)."""
    now = now or timezone.now()
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    if not delivery.endpoint.is_active:
        return False
    Delivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        retry_until=now + timedelta(seconds=settings.WEBHOOKS_RETRY_FOR_SECONDS),
    )
    deliveries_due.send(sender="webhooks", delivery_ids=[delivery_id])
    return True


def switched_on(endpoint):
    """An endpoint switched on again in the admin starts afresh."""
    if endpoint.is_active and (endpoint.disabled_at or endpoint.failing_since):
        Endpoint.objects.filter(pk=endpoint.pk).update(disabled_at=None, failing_since=None)


def switched_off_for(user):
    """The endpoints `user` created that were switched off for failing (the
    admin tells their owner)."""
    return list(
        Endpoint.objects.filter(created_by=user, is_active=False, disabled_at__isnull=False)
    )


# Retention


def erase_old_logs(now=None):
    """Delete attempts, and finished deliveries, older than
    `WEBHOOKS_LOG_RETENTION_DAYS`. Returns how many rows went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOKS_LOG_RETENTION_DAYS)
    with transaction.atomic():
        attempts, _ = Attempt.objects.filter(started_at__lt=cutoff).delete()
        finished = Q(status=DeliveryStatus.DELIVERED) | Q(status=DeliveryStatus.FAILED)
        # A delivery sent again lately keeps its row while its new attempts stay.
        old = Delivery.objects.filter(finished, created_at__lt=cutoff).exclude(
            attempt_log__started_at__gte=cutoff
        )
        deliveries, _ = old.delete()
    return attempts + deliveries


def health():
    """For the health check: deliveries waiting, endpoints failing now, and
    endpoints switched off after a day of failures (until someone switches
    them on again)."""
    return {
        "deliveries_waiting": Delivery.objects.filter(status=DeliveryStatus.PENDING).count(),
        "endpoints_failing": Endpoint.objects.filter(
            is_active=True, failing_since__isnull=False
        ).count(),
        "endpoints_switched_off": Endpoint.objects.filter(
            is_active=False, disabled_at__isnull=False
        ).count(),
    }
