"""The overview's actions on one scheduled change: cancel, move, carry out
now. Each goes through what the edit views and the API use: the schedule's
change (`headless.schedule_changes.change_schedule`, which does what the admin's
"Publicera" with a time and "Avbryt schemaläggning" do) and Wagtail's own
publish and unpublish actions, with the same permission: only a user who may
publish the object."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Revision

from headless.schedule_changes import NOT_YOURS, change_schedule

from .failures import base_content_type
from .models import EXPIRE, PUBLISH, ScheduledChangeFailure
from .rows import may_publish


class ActionError(ValueError):
    """An action that cannot be done on this change, with a Swedish message."""


def _check(user, obj):
    if not may_publish(user, obj):
        raise PermissionDenied(NOT_YOURS)


def _settle_failures(obj, action, user):
    """A change cancelled, moved or done: its failures are dealt with."""
    ScheduledChangeFailure.objects.filter(
        content_type=base_content_type(obj),
        object_id=str(obj.pk),
        action=action,
        acknowledged_at__isnull=True,
    ).update(acknowledged_at=timezone.now(), acknowledged_by=user)


def cancel(obj, user, action):
    """Cancel the go-live or the expiry."""
    _check(user, obj)
    with transaction.atomic():
        if action == PUBLISH:
            change_schedule(obj, user, go_live_at=None)
        else:
            change_schedule(obj, user, expire_at=None)
        _settle_failures(obj, action, user)


def move(obj, user, action, when):
    """Move the go-live or the expiry to `when` (aware)."""
    _check(user, obj)
    with transaction.atomic():
        if action == PUBLISH:
            change_schedule(obj, user, go_live_at=when)
        else:
            change_schedule(obj, user, expire_at=when)
        _settle_failures(obj, action, user)


def carry_out_now(obj, user, action, revision_id=None):
    """Publish the scheduled revision now, or unpublish now, as the edit
    view's "Publicera" and "Avpublicera" do."""
    _check(user, obj)
    with transaction.atomic():
        if action == EXPIRE:
            if not obj.live:
                raise ActionError("Innehållet är redan avpublicerat.")
            obj.unpublish(user=user)
        else:
            _publish_now(obj, user, revision_id)
        _settle_failures(obj, action, user)


def _publish_now(obj, user, revision_id):
    revisions = obj.revisions
    revision = (
        revisions.filter(pk=revision_id).first()
        if revision_id
        else revisions.filter(approved_go_live_at__isnull=False).order_by("-pk").first()
    )
    if revision is None:
        raise ActionError("Det finns ingen schemalagd version att publicera.")
    # The revision as scheduled, without its time: Wagtail's publish then
    # puts it live now and clears every approval, as the edit view's
    # "Publicera" does after the editor has emptied the go-live field.
    # An update, not save(): save() would log a cancelled schedule.
    revision.content["go_live_at"] = None
    Revision.objects.filter(pk=revision.pk).update(
        content=revision.content, approved_go_live_at=None
    )
    revision.refresh_from_db()
    target = obj.specific if isinstance(obj, Page) else obj
    revision.publish(user=user, previous_revision=target.live_revision)
