"""A release (utgåva): a named set of changes of pages and contacts that go
live together, at one instant, all or nothing (actions.py)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q


class ReleaseState(models.TextChoices):
    DRAFT = "draft", "utkast"
    SCHEDULED = "scheduled", "schemalagd"
    PUBLISHED = "published", "publicerad"
    FAILED = "failed", "misslyckades"
    CANCELLED = "cancelled", "avbruten"


# The states in which items may still be added, removed and re-pinned: a
# claimed release (published) and a cancelled one are done with.
OPEN_STATES = (ReleaseState.DRAFT, ReleaseState.SCHEDULED, ReleaseState.FAILED)


class Release(models.Model):
    name = models.CharField("namn", max_length=255)
    go_live_at = models.DateTimeField("publiceras", null=True, blank=True, db_index=True)
    state = models.CharField(
        "status", max_length=10, choices=ReleaseState.choices, default=ReleaseState.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="skapad av",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("skapad", auto_now_add=True)
    # Who scheduled it: the one told when it fails, and the one whose right
    # to publish every item was checked.
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="schemalagd av",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    claimed_at = models.DateTimeField("påbörjad", null=True, blank=True)
    published_at = models.DateTimeField("publicerad", null=True, blank=True)
    # {"release": [reasons], "items": {item id: reason}}: why it failed, in Swedish.
    failure_reasons = models.JSONField("orsaker till misslyckandet", default=dict, blank=True)
    failed_at = models.DateTimeField("misslyckades", null=True, blank=True)
    # Set before the e-mail is sent, so that a task that runs twice tells once.
    failure_mailed_at = models.DateTimeField("misslyckandet e-postat", null=True, blank=True)
    failure_seen_at = models.DateTimeField("misslyckandet sett", null=True, blank=True)
    failure_seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="misslyckandet sett av",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "utgåva"
        verbose_name_plural = "utgåvor"
        ordering = ["go_live_at", "pk"]

    def __str__(self):
        return self.name


class ItemAction(models.TextChoices):
    PUBLISH = "publish", "publicera"
    UNPUBLISH = "unpublish", "avpublicera"


class ReleaseItem(models.Model):
    """One object of a release: a page or a contact, with the revision to
    publish (pinned when added, re-pinned by adding it again) or to be
    unpublished."""

    release = models.ForeignKey(
        Release, verbose_name="utgåva", on_delete=models.CASCADE, related_name="items"
    )
    # The object's base type (Page for every page type), as Wagtail's
    # revisions have it.
    content_type = models.ForeignKey(
        ContentType, verbose_name="innehållstyp", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.CharField("objekt", max_length=255)
    content_object = GenericForeignKey("content_type", "object_id")
    action = models.CharField(
        "åtgärd", max_length=10, choices=ItemAction.choices, default=ItemAction.PUBLISH
    )
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name="version",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The object's live revision when the item was pinned: a direct publish
    # since then puts the release in conflict (actions.conflicts).
    live_revision_at_pin = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name="publicerad version vid tillägget",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    was_live_at_pin = models.BooleanField("publicerad vid tillägget", default=False)
    pinned_at = models.DateTimeField("tillagd", auto_now=True)
    # A copy of "the release is scheduled", for the constraint below: an
    # object is in at most one scheduled release.
    in_scheduled_release = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = "ändring i utgåva"
        verbose_name_plural = "ändringar i utgåvor"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "content_type", "object_id"], name="release_item_once"
            ),
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(in_scheduled_release=True),
                name="release_item_in_one_scheduled_release",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.content_type.model} {self.object_id}"
