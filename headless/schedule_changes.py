"""Scheduling through the API: set, move and cancel the go-live and the
expiry of a page or a contact, the way the admin does it, so that the same
exactly-once pipeline (the claims, the exact-time tasks, the sweep) carries
it out and the admin sees and can change everything the API did.

- Go-live: the latest revision saved and published with `go_live_at`, as the
  admin's "Publicera" with a future time does (Wagtail approves the revision
  for that time and clears every other revision's approval). Moving it does
  the same with the new time; cancelling clears the approval as the admin's
  "Avbryt schemaläggning" does. A page scheduled here is never left locked:
  the lock Wagtail shows is the approval, and cancelling lifts it.
- Expiry of a live object: `expire_at` set on its row and on its latest
  revision (which the admin's form shows), without a publish, which would
  move "Senast uppdaterad" and publish a draft along with it.

Times: one with an offset is exact; one without is Stockholm wall-clock
time, refused when daylight saving makes it impossible or ambiguous, with the
admin's own messages.
"""

from dataclasses import dataclass
from datetime import UTC
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from wagtail.log_actions import log
from wagtail.models import Page

from changes.signals import expiry_changed
from intl_pages.forms import daylight_saving_message

STOCKHOLM = ZoneInfo("Europe/Stockholm")

UNCHANGED = object()
NOT_YOURS = "Din token får inte publicera det här innehållet."
GO_LIVE_AFTER_EXPIRY = "Publiceringstiden måste ligga före utgångstiden."
EXPIRY_BEFORE_GO_LIVE = "Utgångstiden måste ligga efter publiceringstiden."


class ScheduleError(ValueError):
    """A time the schedule cannot take; `field` and a Swedish message."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def parse_time(field, value, now=None):
    """An aware datetime from ISO 8601 text: exact with an offset, Stockholm
    wall-clock time without one. In the past, impossible or ambiguous: a
    ScheduleError."""
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ScheduleError(field, "Ange tiden som ÅÅÅÅ-MM-DDTHH:MM, gärna med tidszon (+01:00).")
    if timezone.is_naive(parsed):
        message = daylight_saving_message(parsed, STOCKHOLM)
        if message:
            raise ScheduleError(field, message)
        parsed = parsed.replace(tzinfo=STOCKHOLM)
    try:
        parsed.astimezone(UTC)
    except OverflowError:  # beyond year 9999 in UTC
        raise ScheduleError(field, "Tiden ligger för långt fram.") from None
    if parsed <= (now or timezone.now()):
        raise ScheduleError(field, "Tiden har redan passerat. Välj en tid framåt.")
    return parsed


def can_publish(user, obj):
    if isinstance(obj, Page):
        return obj.permissions_for_user(user).can_publish()
    meta = type(obj)._meta
    return user.has_perm(f"{meta.app_label}.publish_{meta.model_name}")


@dataclass(frozen=True)
class Schedule:
    live: bool
    go_live_at: object
    expire_at: object
    scheduled_revision_id: int | None


def schedule_of(obj):
    approved = obj.revisions.filter(approved_go_live_at__isnull=False).order_by("-pk").first()
    return Schedule(
        live=obj.live,
        go_live_at=approved.approved_go_live_at if approved else None,
        expire_at=obj.expire_at,
        scheduled_revision_id=approved.pk if approved else None,
    )


def change_schedule(obj, user, go_live_at=UNCHANGED, expire_at=UNCHANGED):
    """Set (a datetime), cancel (None) or leave (UNCHANGED) the object's
    go-live and expiry. Returns its schedule after the change."""
    if not can_publish(user, obj):
        raise PermissionDenied(NOT_YOURS)
    model = Page if isinstance(obj, Page) else type(obj)
    with transaction.atomic():
        # One change of an object's schedule at a time: two at once would each
        # clear the other's approval and leave two approved revisions.
        model.objects.select_for_update().filter(pk=obj.pk).first()
        current = schedule_of(obj)
        new_go_live = current.go_live_at if go_live_at is UNCHANGED else go_live_at
        new_expiry = current.expire_at if expire_at is UNCHANGED else expire_at
        if new_expiry is not None and new_expiry <= timezone.now():
            new_expiry = None  # an expiry that has passed is done with
        if new_go_live and new_expiry and new_expiry <= new_go_live:
            if expire_at is UNCHANGED:
                raise ScheduleError("go_live_at", GO_LIVE_AFTER_EXPIRY)
            raise ScheduleError("expire_at", EXPIRY_BEFORE_GO_LIVE)
        if expire_at is not UNCHANGED:
            _set_expiry(obj, user, expire_at)
        if go_live_at is None:
            _cancel_go_live(obj, user)
        elif go_live_at is not UNCHANGED:
            _schedule_go_live(obj, user, go_live_at, new_expiry)
        obj.refresh_from_db()
        return schedule_of(obj)


def _schedule_go_live(obj, user, when, expiry):
    latest = obj.get_latest_revision_as_object()
    latest.go_live_at = when
    latest.expire_at = expiry
    revision = latest.save_revision(user=user, log_action=True)
    revision.publish(user=user)


def _cancel_go_live(obj, user):
    for revision in obj.revisions.filter(approved_go_live_at__isnull=False):
        revision.approved_go_live_at = None
        # As the admin's "unschedule": Wagtail logs wagtail.schedule.cancel.
        revision.save(user=user, update_fields=["approved_go_live_at"])


def _set_expiry(obj, user, when):
    model = Page if isinstance(obj, Page) else type(obj)
    model.objects.filter(pk=obj.pk).update(expire_at=when)
    # The latest revision (the admin's form shows it) and the one approved for
    # a go-live (Wagtail copies its expiry onto the row when it goes live).
    revisions = obj.revisions.filter(
        Q(pk=obj.latest_revision_id) | Q(approved_go_live_at__isnull=False)
    )
    for revision in revisions:
        revision.content["expire_at"] = when.isoformat() if when else None
        revision.save(update_fields=["content"])
    obj.expire_at = when
    log(instance=obj, action="wagtail.edit", user=user, data={"expire_at": str(when)})
    if when is not None and obj.live:
        expiry_changed.send(sender=type(obj), instance=obj)
