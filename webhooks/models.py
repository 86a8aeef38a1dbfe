"""Publish webhooks: the endpoints front-ends register, one delivery row per
event and endpoint (the outbox, written in the change's transaction), and a
row per attempt to send it.
"""

import base64
import secrets

from django.conf import settings
from django.db import models

from changes import signals as changes

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32

RELEASE_PUBLISHED = "release.published"
RELEASE_FAILED = "release.failed"
RELEASE_KINDS = (RELEASE_PUBLISHED, RELEASE_FAILED)

EVENT_LABELS = {
    changes.PAGE_PUBLISHED: "sida publicerad",
    changes.PAGE_UNPUBLISHED: "sida avpublicerad",
    changes.PAGE_WENT_LIVE: "sida publicerad vid schemalagd tid",
    changes.PAGE_EXPIRED: "sida avpublicerad vid utgångstid",
    changes.CONTACT_PUBLISHED: "kontaktperson publicerad",
    changes.CONTACT_UNPUBLISHED: "kontaktperson avpublicerad",
    changes.CONTACT_EXPIRED: "kontaktperson avpublicerad vid utgångstid",
    changes.PAGE_MOVED: "sidans adress ändrad",
    changes.SITE_CHANGED: "webbplats eller inställning ändrad",
    changes.STAMP_MOVED: "”Senast uppdaterad” flyttad",
    changes.PAGE_REVIEWED: "sida granskad",
    changes.CONTACT_REVIEWED: "kontaktperson granskad",
    RELEASE_PUBLISHED: "utgåva publicerad",
    RELEASE_FAILED: "utgåva misslyckades",
}
# Every kind an endpoint may subscribe to: each change visitors see, and a
# release's outcome as a whole.
KINDS = (*changes.KINDS, *RELEASE_KINDS)
EVENT_CHOICES = [(kind, EVENT_LABELS[kind]) for kind in KINDS]


def generate_secret():
    """`whsec_` and base64 of random bytes, as Standard Webhooks expects. Only
    the server makes secrets: the verifier base64-decodes whatever follows the
    prefix, so a typed secret would be silently mangled into other bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class Endpoint(models.Model):
    url = models.URLField(
        "adress",
        max_length=500,
        help_text="Dit händelserna skickas med POST, till exempel https://exempel.se/webhook.",
    )
    description = models.CharField("beskrivning", max_length=255, blank=True)
    events = models.JSONField(
        "händelser",
        default=list,
        help_text="De händelser som skickas till adressen.",
    )
    is_active = models.BooleanField(
        "aktiv",
        default=True,
        help_text="Bara aktiva mottagare får händelser.",
    )
    secret = models.CharField("hemlighet", max_length=100, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="skapad av",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("skapad", auto_now_add=True)
    # The first failure since the last success: a day of nothing but
    # failures switches the endpoint off.
    failing_since = models.DateTimeField("misslyckas sedan", null=True, blank=True, editable=False)
    # Set when the endpoint was switched off for failing; its owner is told in
    # the admin until it is switched on again.
    disabled_at = models.DateTimeField("avstängd", null=True, blank=True, editable=False)
    # The sequence number of the endpoint's latest delivery (Delivery.sequence).
    last_sequence = models.PositiveBigIntegerField("senaste löpnummer", default=0, editable=False)

    class Meta:
        verbose_name = "webhook-mottagare"
        verbose_name_plural = "webhook-mottagare"
        ordering = ["url", "pk"]

    def __str__(self):
        return self.url

    @property
    def secret_hint(self):
        """Enough of the secret to tell two apart, never enough to sign."""
        return f"{self.secret[: len(SECRET_PREFIX) + 4]}…" if self.secret else ""

    def events_display(self):
        return ", ".join(EVENT_LABELS.get(kind, kind) for kind in self.events)

    events_display.short_description = "händelser"

    def status_display(self):
        if self.is_active:
            return "aktiv"
        if self.disabled_at:
            return "avstängd: misslyckades i ett dygn"
        return "inaktiv"

    status_display.short_description = "status"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "väntar"
    DELIVERED = "delivered", "levererad"
    FAILED = "failed", "gav upp"


class Delivery(models.Model):
    """One event for one endpoint. The payload is kept as the exact bytes
    sent, so every attempt signs and sends the same body under the same
    `webhook-id`."""

    endpoint = models.ForeignKey(
        Endpoint, verbose_name="mottagare", on_delete=models.CASCADE, related_name="deliveries"
    )
    webhook_id = models.CharField("webhook-id", max_length=64, unique=True)
    event_type = models.CharField("händelse", max_length=40, choices=EVENT_CHOICES)
    payload = models.TextField("innehåll")
    # Per endpoint, one more than the one before, taken in the transaction
    # that writes the row (the endpoint's row is locked until it commits):
    # so in the order the changes committed, which a receiver can restore
    # when retries deliver out of order. Sent in the body and as the
    # `webhook-sequence` header.
    sequence = models.PositiveBigIntegerField("löpnummer", null=True, blank=True, editable=False)
    created_at = models.DateTimeField("skapad", auto_now_add=True, db_index=True)
    status = models.CharField(
        "status", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField("försök", default=0)
    # When the next attempt may be made (the sweep's query); while an attempt
    # is under way, the end of its claim.
    next_attempt_at = models.DateTimeField("nästa försök", null=True, blank=True)
    # Retried until then: a day after it was written, or sent again.
    retry_until = models.DateTimeField("försöks till")
    delivered_at = models.DateTimeField("levererad", null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField("senaste svarskod", null=True, blank=True)
    last_error = models.CharField("senaste fel", max_length=500, blank=True)

    class Meta:
        verbose_name = "leverans"
        verbose_name_plural = "leveranser"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.event_type} till {self.endpoint_id} ({self.get_status_display()})"


class Attempt(models.Model):
    delivery = models.ForeignKey(
        Delivery, verbose_name="leverans", on_delete=models.CASCADE, related_name="attempt_log"
    )
    started_at = models.DateTimeField("tid", db_index=True)
    status_code = models.PositiveSmallIntegerField("svarskod", null=True, blank=True)
    error = models.CharField("fel", max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField("tid i ms")
    succeeded = models.BooleanField("lyckades", default=False)

    class Meta:
        verbose_name = "leveransförsök"
        verbose_name_plural = "leveransförsök"
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
