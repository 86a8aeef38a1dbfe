"""What the overview of scheduled changes keeps of its own: the scheduled
changes that failed (until someone has looked), and each editor's secret
calendar address. The plan itself is Wagtail's (revisions approved to go
live, objects' `expire_at`), read where it lies (rows.py)."""

import hashlib

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

PUBLISH = "publish"
EXPIRE = "expire"
ACTION_CHOICES = [(PUBLISH, "publicering"), (EXPIRE, "avpublicering")]


class ScheduledChangeFailure(models.Model):
    """A scheduled go-live or expiry that could not be carried out for good:
    its revision no longer valid, or its retries spent. One row per object,
    action and planned time, so that recording it twice records it once and
    its author hears of it once."""

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name="innehållstyp"
    )
    object_id = models.CharField("objekt-id", max_length=255)
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="version",
    )
    action = models.CharField("åtgärd", max_length=20, choices=ACTION_CHOICES)
    due_at = models.DateTimeField("planerad tid")
    reason = models.TextField("orsak")
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="schemalagd av",
    )
    failed_at = models.DateTimeField("misslyckades", auto_now_add=True)
    mailed_at = models.DateTimeField("e-post skickad", null=True, blank=True)
    acknowledged_at = models.DateTimeField("sedd", null=True, blank=True, db_index=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="sedd av",
    )

    class Meta:
        verbose_name = "misslyckad schemaläggning"
        verbose_name_plural = "misslyckade schemaläggningar"
        ordering = ["-failed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "action", "due_at"],
                name="planning_one_failure_per_change",
            )
        ]

    def __str__(self):
        return f"{self.content_type.model} {self.object_id} {self.action} {self.due_at}"


def hash_secret(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


class CalendarFeed(models.Model):
    """An editor's calendar subscription: the address holds a secret, of which
    only a hash is kept; renewing it makes the old address answer 404."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="planning_calendar_feed",
        verbose_name="användare",
    )
    secret_hash = models.CharField("hash av hemligheten", max_length=64, unique=True)
    created_at = models.DateTimeField("skapad", auto_now=True)

    class Meta:
        verbose_name = "kalenderprenumeration"
        verbose_name_plural = "kalenderprenumerationer"

    def __str__(self):
        return f"{self.user}"
