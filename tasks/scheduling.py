"""Scheduled publishing and expiry, exactly once and on the second.

Wagtail records a scheduled publish as `Revision.approved_go_live_at` and a
scheduled expiry as `expire_at` on the object's own row; stock Wagtail acts on
them only when `publish_scheduled` runs from cron. Here an exact-time Celery
task (ETA) is queued for everything due within `SCHEDULE_HORIZON`, and a beat
sweep queues what comes into the horizon and re-queues whatever is overdue.
The database, not the queue, is the truth: each publish first claims its
revision with a conditional UPDATE (one caller wins, on SQLite as on
PostgreSQL), so a duplicate, stale or early task does nothing.

These are plain functions: the Celery tasks in `tasks.publishing`, the
management commands and the tests all call them. The planners take the
function that queues the work as an argument (`send_publishes`,
`send_expiries`), so that this module never imports the tasks.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from wagtail.models import DraftStateMixin, Page, Revision

from changes.signals import by_schedule
from intl_pages.models import publishing_approved_revision
from planning import failures as schedule_failures
from planning.models import EXPIRE, PUBLISH
from planning.rows import scheduler_of
from releases.actions import due_releases, releases_to_start

logger = logging.getLogger(__name__)

PUBLISHED = "published"
EXPIRED = "expired"
STALE = "stale"  # rescheduled, cancelled, already done by someone else
EARLY = "early"  # woke before its time: retry, never publish early
FAILED = "failed"  # cannot be done as scheduled: recorded, its author told


@dataclass(frozen=True)
class Outcome:
    status: str
    wait_seconds: float = 0.0
    failure_id: int | None = None


def horizon():
    return timedelta(seconds=settings.SCHEDULE_HORIZON_SECONDS)


def as_iso(moment):
    return moment.astimezone(UTC).isoformat()


def from_iso(value):
    return datetime.fromisoformat(value)


# Doing the work


def publish_scheduled_revision(revision_id, go_live_at_iso, now=None):
    """Publish revision `revision_id` if it is still approved for `go_live_at`.

    One transaction per object: the claim (clearing `approved_go_live_at`)
    and the publish commit together, or neither does, and the next sweep
    tries again.
    """
    go_live_at = from_iso(go_live_at_iso)
    now = now or timezone.now()
    if now < go_live_at:
        return Outcome(EARLY, (go_live_at - now).total_seconds())

    try:
        with transaction.atomic():
            claimed = Revision.objects.filter(
                pk=revision_id, approved_go_live_at=go_live_at, approved_go_live_at__lte=now
            ).update(approved_go_live_at=None)
            if not claimed:
                return Outcome(STALE)
            revision = Revision.objects.select_related("content_type").get(pk=revision_id)
            with publishing_approved_revision(), by_schedule():
                revision.publish(
                    log_action="wagtail.publish.scheduled", skip_permission_checks=True
                )
            clear_carried_out(revision.content_object, "go_live_at", go_live_at)
    except ValidationError as error:
        # The revision is no longer valid (its slug taken meanwhile, ...):
        # retrying cannot help. Nothing was published.
        return _publish_failed(revision_id, go_live_at, _reason(error))
    logger.info(
        "Publicerade schemalagd version %s av %s %s (planerad %s).",
        revision_id,
        revision.content_type.model,
        revision.object_id,
        go_live_at_iso,
    )
    return Outcome(PUBLISHED)


def expire_scheduled_object(content_type_id, object_id, expire_at_iso, now=None):
    """Unpublish an object whose `expire_at` has come, once."""
    expire_at = from_iso(expire_at_iso)
    now = now or timezone.now()
    if now < expire_at:
        return Outcome(EARLY, (expire_at - now).total_seconds())

    model = ContentType.objects.get_for_id(content_type_id).model_class()
    base = Page if issubclass(model, Page) else model
    with transaction.atomic():
        claimed = base.objects.filter(
            pk=object_id, live=True, expired=False, expire_at=expire_at, expire_at__lte=now
        ).update(expired=True)
        if not claimed:
            return Outcome(STALE)
        obj = base.objects.get(pk=object_id)
        if isinstance(obj, Page):
            obj = obj.specific
        with by_schedule():
            obj.unpublish(set_expired=True, log_action="wagtail.unpublish.scheduled")
        clear_carried_out(obj, "expire_at", expire_at)
    logger.info(
        "Avpublicerade %s %s vid utgångstiden %s.", model.__name__, object_id, expire_at_iso
    )
    return Outcome(EXPIRED)


def clear_carried_out(obj, name, when):
    """Forget a go-live or expiry once carried out (Wagtail #13896): left on
    the object and its revisions, the edit form shows it as still planned,
    and an expiry in the past makes the next save fail ("Invalid schedule").
    The row and the revisions that still carry this very time."""
    base = Page if isinstance(obj, Page) else type(obj)
    base.objects.filter(pk=obj.pk, **{name: when}).update(**{name: None})
    setattr(obj, name, None)
    for revision in obj.revisions.filter(
        pk__in=[pk for pk in (obj.live_revision_id, obj.latest_revision_id) if pk]
    ):
        stored = revision.content.get(name)
        if stored and from_iso(stored.replace("Z", "+00:00")) == when:
            revision.content[name] = None
            revision.save(update_fields=["content"])


def _reason(error):
    messages = getattr(error, "messages", None) or [str(error)]
    return "Versionen gick inte att publicera: " + " ".join(messages)


def _publish_failed(revision_id, go_live_at, reason):
    """Record a scheduled publish that cannot be done, once: its approval is
    withdrawn (in the same transaction), so that the sweep stops trying."""
    with transaction.atomic():
        withdrawn = Revision.objects.filter(pk=revision_id, approved_go_live_at=go_live_at).update(
            approved_go_live_at=None
        )
        if not withdrawn:
            return Outcome(STALE)
        revision = Revision.objects.get(pk=revision_id)
        failure, _created = schedule_failures.record_failure(
            revision.content_object,
            PUBLISH,
            go_live_at,
            reason,
            scheduled_by=scheduler_of(revision),
            revision_id=revision_id,
        )
    return Outcome(FAILED, failure_id=failure.pk)


def record_gave_up(task_name, args, error):
    """A publish or expiry whose retries are spent: recorded, so that its
    author is told and the overview shows it. The failure's id, or None."""
    if task_name == "tasks.publish_revision":
        revision_id, due_iso = args
        revision = Revision.objects.filter(pk=revision_id).first()
        obj = revision and revision.content_object
        action, by = PUBLISH, revision and scheduler_of(revision)
    elif task_name == "tasks.expire_object":
        content_type_id, object_id, due_iso = args
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        obj = (Page if issubclass(model, Page) else model).objects.filter(pk=object_id).first()
        revision_id, action = None, EXPIRE
        by = obj and obj.live_revision and obj.live_revision.user
    else:
        return None
    if obj is None:
        return None
    reason = f"Försöken tog slut ({error.__class__.__name__}: {error})"
    failure, created = schedule_failures.record_failure(
        obj, action, from_iso(due_iso), reason, scheduled_by=by, revision_id=revision_id
    )
    return failure.pk if created else None


# Finding what is due


def scheduled_models():
    """Page, plus every non-page model with drafts (such as Contact)."""
    return [Page] + [
        model
        for model in apps.get_models()
        if issubclass(model, DraftStateMixin) and not issubclass(model, Page)
    ]


def due_publishes(until):
    """(revision id, go-live time) of every revision approved to go live by `until`."""
    return list(
        Revision.objects.filter(approved_go_live_at__isnull=False, approved_go_live_at__lte=until)
        .order_by("approved_go_live_at")
        .values_list("pk", "approved_go_live_at")
    )


def due_expiries(until):
    """(content type id, object id, expire_at) of every live object expiring by `until`."""
    due = []
    for model in scheduled_models():
        rows = model.objects.filter(
            live=True, expired=False, expire_at__isnull=False, expire_at__lte=until
        ).values_list("pk", "expire_at")
        if rows:
            content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
            due += [(content_type.pk, pk, expire_at) for pk, expire_at in rows]
    return due


# Queueing


def _mark(key):
    """Note that the work under `key` is queued; False if it already was,
    lately (within a horizon plus a grace period).

    The mark lives in the cache (Redis, or a file cache without Redis): if it
    is lost, the work is queued again, which the claims make harmless.
    """
    ttl = int(horizon().total_seconds() + settings.SCHEDULE_GRACE_SECONDS + 60)
    return cache.add(f"schedule:{key}", 1, timeout=ttl)


def _unmark(*keys):
    cache.delete_many([f"schedule:{key}" for key in keys])


def _mark_key(kind, ids, due, now):
    """The de-duplication key of one piece of work: the receiver that plans
    it on commit and the sweep build the same one. Work more than the grace
    period overdue gets a new key each grace period, so it is queued again."""
    key = f"{kind}:{':'.join(map(str, ids))}:{due.timestamp()}"
    grace = settings.SCHEDULE_GRACE_SECONDS
    if due < now - timedelta(seconds=grace):
        key = f"{key}:late:{int(now.timestamp() // grace)}"
    return key


def _utc_now(now):
    # In UTC: a timedelta added to a Stockholm time moves the wall clock, an
    # hour off on the daylight-saving nights.
    return (now or timezone.now()).astimezone(UTC)


def _by_instant(due):
    """[(group, [ids])] in time order, from [(id, group)]: the revisions due
    at one go-live time, the objects of one type due to expire at one time."""
    groups = {}
    for item_id, group in due:
        groups.setdefault(group, []).append(item_id)
    return list(groups.items())


def _queue_in_batches(items, key_of, send):
    """Send the items not queued lately, up to `SCHEDULE_BATCH_SIZE` in one
    message. Returns how many were sent."""
    keys = {item: key_of(item) for item in items}
    fresh = [item for item in items if _mark(keys[item])]
    size = settings.SCHEDULE_BATCH_SIZE
    for start in range(0, len(fresh), size):
        try:
            send(fresh[start : start + size])
        except Exception:
            _unmark(*(keys[item] for item in fresh[start:]))
            raise
    return len(fresh)


def plan(send_publishes, send_expiries, now=None, send_releases=None):
    """Queue an exact-time task for everything due within the horizon.

    Revisions due at the same instant go out together, up to
    `SCHEDULE_BATCH_SIZE` in one message: a thousand pages due at 08:00 are
    forty messages, not a thousand, and each still has its own claim and
    transaction. So do objects of one type due to expire at one instant.
    Overdue work (its time passed more than `SCHEDULE_GRACE_SECONDS` ago: a
    task lost with a flushed Redis, a worker that was down) is queued again
    once per grace period. Releases (`send_releases`) go one message each,
    `releases.actions.lead_seconds` before their instant, so that the task
    has loaded and written every item, uncommitted, when the instant comes. Returns how many
    publishes, expiries and releases were queued.
    """
    now = _utc_now(now)
    until = now + horizon()
    queued = 0
    for go_live_at, revision_ids in _by_instant(due_publishes(until)):
        queued += _queue_in_batches(
            revision_ids,
            lambda r, t=go_live_at: _mark_key("publish", [r], t, now),
            lambda batch, t=go_live_at: send_publishes(batch, t),
        )
    expiries = [(object_id, (ct, expire_at)) for ct, object_id, expire_at in due_expiries(until)]
    for (content_type_id, expire_at), object_ids in _by_instant(expiries):
        queued += _queue_in_batches(
            object_ids,
            lambda o, c=content_type_id, t=expire_at: _mark_key("expire", [c, o], t, now),
            lambda batch, c=content_type_id, t=expire_at: send_expiries(c, batch, t),
        )
    if send_releases is not None:
        queued += plan_releases(send_releases, until, now)
    return queued


def plan_releases(send_releases, until, now):
    """Queue each release due by `until` (plus the lead it is prepared in)
    once, under the same marks as the revisions."""
    queued = 0
    for release_id, go_live_at in releases_to_start(until):
        queued += _queue_in_batches(
            [release_id],
            lambda r, t=go_live_at: _mark_key("release", [r], t, now),
            lambda batch, t=go_live_at: send_releases(batch[0], t),
        )
    return queued


def plan_release(release_id, send_releases, now=None):
    """Queue a release just scheduled or moved, if it is due before the
    sweep would see it (as `plan_revision`)."""
    now = _utc_now(now)
    until = now + min(horizon(), _left_to_the_sweep())
    due = [(pk, at) for pk, at in releases_to_start(until) if pk == release_id]
    if not due:
        return False
    go_live_at = due[0][1]
    queued = _queue_in_batches(
        [release_id],
        lambda r: _mark_key("release", [r], go_live_at, now),
        lambda batch: send_releases(batch[0], go_live_at),
    )
    return queued == 1


def plan_revision(revision_id, send_publishes, now=None):
    """Queue the exact-time task of one revision just scheduled, if it is due
    before the sweep would see it.

    Anything due later is left to the sweep, which runs every
    `SCHEDULE_SWEEP_SECONDS` and sends the revisions due at one instant
    together: an editor's page and the thousand a script scheduled for the
    same minute cost the workers one message per batch, not one each.
    """
    now = _utc_now(now)
    go_live_at = (
        Revision.objects.filter(pk=revision_id, approved_go_live_at__isnull=False)
        .values_list("approved_go_live_at", flat=True)
        .first()
    )
    if go_live_at is None or go_live_at > now + min(horizon(), _left_to_the_sweep()):
        return False
    queued = _queue_in_batches(
        [revision_id],
        lambda r: _mark_key("publish", [r], go_live_at, now),
        lambda batch: send_publishes(batch, go_live_at),
    )
    return queued == 1


def _left_to_the_sweep():
    # Two sweep periods: the next sweep runs within one, and may itself be
    # a little late or slow.
    return timedelta(seconds=2 * settings.SCHEDULE_SWEEP_SECONDS)


def plan_expiry(obj, send_expiries, now=None):
    """Queue the exact-time expiry of one object just published, if it is due
    before the sweep would see it (the sweep batches the rest, as for
    publishes)."""
    now = _utc_now(now)
    expire_at = obj.expire_at
    if not (obj.live and expire_at) or expire_at > now + min(horizon(), _left_to_the_sweep()):
        return False
    content_type = ContentType.objects.get_for_model(
        Page if isinstance(obj, Page) else type(obj), for_concrete_model=False
    )
    queued = _queue_in_batches(
        [obj.pk],
        lambda o: _mark_key("expire", [content_type.pk, o], expire_at, now),
        lambda batch: send_expiries(content_type.pk, batch, expire_at),
    )
    return queued == 1


def overdue_count(now=None, late_by=60):
    """How many publishes and expiries are more than `late_by` seconds late:
    for the health check, which an operator watches."""
    cutoff = _utc_now(now) - timedelta(seconds=late_by)
    return len(due_publishes(cutoff)) + len(due_expiries(cutoff)) + len(due_releases(cutoff))
