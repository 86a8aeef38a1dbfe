"""What can be done with a release, as plain functions: the admin, the API and
the pipeline's task all call these, so that each rule is in one place.

Applying a release (`apply_release`) is all or nothing, exactly once:

- Before its instant, the task loads every item's object and revision and
  checks them (`_prepare`), so that at the instant only the writes are left.
- At the instant, in ONE transaction: the claim (a conditional UPDATE of the
  release row, scheduled → published, for this very go-live time, as the
  pipeline claims a scheduled revision), then every item's publish or
  unpublish, the stamps, and the `release_published` signal (the webhooks'
  outbox rows). A worker killed in the middle takes the claim down with the
  rest; the sweep finds the release still scheduled and queues it again.
- An item that cannot be applied (its object deleted, its revision gone or
  not the object's, a conflict left unresolved, an error while publishing)
  rolls everything back; the release is then marked failed, with a reason
  per item, in a transaction of its own, and its scheduler is told
  (notify.py).
"""

import logging
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from wagtail.models import Page, Revision
from wagtail.permissions import policy_registry

from changes.signals import by_schedule
from intl_pages.models import Contact, PageUpdateStamp, publishing_approved_revision
from intl_pages.stamps import pages_showing

from .models import OPEN_STATES, ItemAction, Release, ReleaseItem, ReleaseState
from .recording import at_instant
from .signals import release_failed, release_published, release_scheduled

logger = logging.getLogger(__name__)

PUBLISHED = "published"
FAILED = "failed"
STALE = "stale"  # moved, cancelled, or applied already
EARLY = "early"  # woke before its time


@dataclass(frozen=True)
class Outcome:
    status: str
    wait_seconds: float = 0.0


class ReleaseError(Exception):
    """A change the release cannot take; `message` says why, in Swedish.
    `status` is the HTTP status the API answers with."""

    status = 422

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(ReleaseError):
    status = 403


class Closed(ReleaseError):
    status = 409


class Taken(ReleaseError):
    """An object already in another scheduled release."""

    status = 409


CLOSED = "Utgåvan är redan {state} och kan inte längre ändras."
NOT_YOURS = "Du får inte publicera {objects}, och kan därför inte schemalägga utgåvan."
NOT_YOURS_ITEM = "Du får inte publicera {label}."
IN_ANOTHER = "{label} ingår redan i utgåvan ”{release}”, som är schemalagd."
NO_REVISION = "{label} har ingen sparad version att publicera."
REVISION_NOT_OF = "Versionen {revision} hör inte till {label}."
NOT_LIVE = "{label} är inte publicerad och kan inte avpubliceras."
IN_THE_PAST = "Tiden har redan passerat. Välj en tid framåt."
TOO_MANY = (
    "Utgåvan kan ha högst {limit} ändringar med den här databasen (SQLite), där en lång "
    "publicering hindrar alla andra. Dela upp den i flera utgåvor."
)
GONE = "{label} finns inte längre."
REVISION_GONE = "Versionen som skulle publiceras av {label} finns inte längre."
PUBLISHED_DIRECTLY = (
    "{label} har publicerats eller avpublicerats direkt efter att den lades till i utgåvan. "
    "Lägg till den igen (med den version som ska publiceras) eller ta bort den ur utgåvan."
)
COULD_NOT_APPLY = "{label} kunde inte {verb}: {error}"
WRONG_OUTCOME = "{label} blev inte publicerad på den valda versionen."


# Objects, labels, rights


def base_model(model):
    return Page if issubclass(model, Page) else model


def content_type_of(obj):
    """The object's base content type, as Wagtail's revisions name it."""
    return ContentType.objects.get_for_model(base_model(type(obj)), for_concrete_model=False)


def label(obj):
    if obj is None:
        return "Objektet"
    if isinstance(obj, Page):
        return f"Sidan ”{obj.title}”"
    if isinstance(obj, Contact):
        return f"Kontaktpersonen ”{obj.name}”"
    return f"”{obj}”"


def lower_first(text):
    return text[:1].lower() + text[1:]


def upper_first(text):
    return text[:1].upper() + text[1:]


def may_publish(user, obj):
    """Whether `user` may publish (and so unpublish) `obj`, by Wagtail's own
    rules: a page's permissions, a snippet's permission policy."""
    if user is None:
        return False
    if isinstance(obj, Page):
        return obj.permissions_for_user(user).can_publish()
    return policy_registry.get_by_type(type(obj)).user_has_permission(user, "publish")


def object_of(item):
    model = item.content_type.model_class()
    obj = model.objects.filter(pk=item.object_id).first()
    if isinstance(obj, Page):
        obj = obj.specific
    return obj


def _locked(release):
    """The release's row, locked until the transaction ends (a claim waits
    for a change under way, and a change after a claim sees it)."""
    return Release.objects.select_for_update().get(pk=release.pk)


def _check_open(release):
    if release.state not in OPEN_STATES:
        raise Closed(CLOSED.format(state=release.get_state_display()))


# Building a release


def create_release(name, user, go_live_at=None):
    """A new release, a draft, or scheduled when `go_live_at` is given."""
    with transaction.atomic():
        release = Release.objects.create(name=name, created_by=user)
        if go_live_at is not None:
            release = schedule_release(release, go_live_at, user)
    return release


def _other_scheduled(content_type, object_id, release):
    return (
        ReleaseItem.objects.filter(
            content_type=content_type, object_id=str(object_id), in_scheduled_release=True
        )
        .exclude(release=release)
        .select_related("release")
        .first()
    )


def add_item(release, obj, user, revision=None, action=ItemAction.PUBLISH):
    """Put `obj` in the release, or re-pin it when it is there: the revision
    to publish (default: its latest), or unpublish it. Returns the item."""
    content_type = content_type_of(obj)
    with transaction.atomic():
        release = _locked(release)
        _check_open(release)
        if action == ItemAction.PUBLISH:
            revision = revision or obj.latest_revision
            if revision is None:
                raise ReleaseError(NO_REVISION.format(label=label(obj)), "revision")
            if (
                str(revision.object_id) != str(obj.pk)
                or revision.base_content_type_id != content_type.pk
            ):
                raise ReleaseError(
                    REVISION_NOT_OF.format(revision=revision.pk, label=lower_first(label(obj))),
                    "revision",
                )
        else:
            revision = None
            if not obj.live:
                raise ReleaseError(NOT_LIVE.format(label=label(obj)), "action")
        scheduled = release.state == ReleaseState.SCHEDULED
        if scheduled:
            if not may_publish(user, obj):
                raise NotAllowed(NOT_YOURS_ITEM.format(label=lower_first(label(obj))))
            other = _other_scheduled(content_type, obj.pk, release)
            if other is not None:
                raise Taken(IN_ANOTHER.format(label=label(obj), release=other.release.name))
        existing = release.items.filter(content_type=content_type, object_id=str(obj.pk))
        if connection.vendor == "sqlite" and not existing.exists():
            limit = settings.RELEASE_MAX_ITEMS_SQLITE
            if release.items.count() >= limit:
                raise ReleaseError(TOO_MANY.format(limit=limit))
        try:
            with transaction.atomic():
                item, _created = ReleaseItem.objects.update_or_create(
                    release=release,
                    content_type=content_type,
                    object_id=str(obj.pk),
                    defaults={
                        "action": action,
                        "revision": revision,
                        "live_revision_at_pin_id": obj.live_revision_id,
                        "was_live_at_pin": obj.live,
                        "in_scheduled_release": scheduled,
                    },
                )
        except IntegrityError:  # scheduled elsewhere at this very moment
            raise Taken(IN_ANOTHER.format(label=label(obj), release="en annan")) from None
    return item


def remove_item(release, item_id):
    """Take an item out of the release. Returns whether it was there."""
    with transaction.atomic():
        release = _locked(release)
        _check_open(release)
        deleted, _ = release.items.filter(pk=item_id).delete()
    return bool(deleted)


def schedule_release(release, go_live_at, user, now=None):
    """Schedule the release (or move it) to `go_live_at`, if `user` may
    publish every item and none is in another scheduled release."""
    if go_live_at <= (now or timezone.now()):
        raise ReleaseError(IN_THE_PAST, "go_live_at")
    with transaction.atomic():
        release = _locked(release)
        _check_open(release)
        items = list(release.items.select_related("content_type"))
        refused = []
        for item in items:
            obj = object_of(item)
            if obj is not None and not may_publish(user, obj):
                refused.append(lower_first(label(obj)))
            other = _other_scheduled(item.content_type, item.object_id, release)
            if other is not None:
                raise Taken(IN_ANOTHER.format(label=label(obj), release=other.release.name))
        if refused:
            raise NotAllowed(NOT_YOURS.format(objects=", ".join(refused)))
        release.state = ReleaseState.SCHEDULED
        release.go_live_at = go_live_at
        release.scheduled_by = user
        release.failure_reasons = {}
        release.failed_at = None
        release.failure_mailed_at = None
        release.failure_seen_at = None
        release.failure_seen_by = None
        release.save()
        try:
            with transaction.atomic():
                release.items.update(in_scheduled_release=True)
        except IntegrityError:
            raise Taken("Ett av objekten har just schemalagts i en annan utgåva.") from None
        release_scheduled.send(sender=Release, release=release)
    return release


move_release = schedule_release


def rename_release(release, name):
    with transaction.atomic():
        release = _locked(release)
        _check_open(release)
        release.name = name
        release.save(update_fields=["name"])
    return release


def unschedule_release(release):
    """Back to a draft: nothing goes live until it is scheduled again."""
    with transaction.atomic():
        release = _locked(release)
        _check_open(release)
        release.state = ReleaseState.DRAFT
        release.go_live_at = None
        release.save(update_fields=["state", "go_live_at"])
        release.items.update(in_scheduled_release=False)
    return release


def cancel_release(release):
    with transaction.atomic():
        release = _locked(release)
        _check_open(release)
        release.state = ReleaseState.CANCELLED
        release.save(update_fields=["state"])
        release.items.update(in_scheduled_release=False)
    return release


# Conflicts


def _live_states(items):
    """{item pk: (live, live_revision_id) or None when the object is gone},
    in one query per type of object."""
    by_type = {}
    for item in items:
        by_type.setdefault(item.content_type_id, []).append(item)
    states = {}
    for content_type_id, group in by_type.items():
        model = base_model(ContentType.objects.get_for_id(content_type_id).model_class())
        rows = {
            str(pk): (live, live_revision_id)
            for pk, live, live_revision_id in model.objects.filter(
                pk__in=[item.object_id for item in group]
            ).values_list("pk", "live", "live_revision_id")
        }
        for item in group:
            states[item.pk] = rows.get(item.object_id)
    return states


def conflicts(release, objects=None):
    """{item pk: the reason in Swedish} for every item that cannot be
    applied as it stands: its object deleted, its revision gone or not the
    object's, or the object published or unpublished directly since the
    item was pinned."""
    items = list(release.items.select_related("content_type", "revision"))
    states = _live_states(items)
    reasons = _reasons(items, states, objects or {})
    if reasons and objects is None:
        # Named by title: the few in conflict are loaded for it.
        named = {item.pk: object_of(item) for item in items if item.pk in reasons}
        reasons = _reasons(items, states, named)
    return reasons


def _reasons(items, states, objects):
    reasons = {}
    for item in items:
        obj = objects.get(item.pk)
        name = label(obj) if obj is not None else f"{item.content_type.name} {item.object_id}"
        state = states.get(item.pk)
        if state is None:
            reasons[item.pk] = GONE.format(label=upper_first(name))
            continue
        live, live_revision_id = state
        if item.action == ItemAction.PUBLISH:
            if item.revision_id is None:
                reasons[item.pk] = REVISION_GONE.format(label=lower_first(name))
                continue
            if (
                item.revision.object_id != item.object_id
                or item.revision.base_content_type_id != item.content_type_id
            ):
                reasons[item.pk] = REVISION_NOT_OF.format(
                    revision=item.revision_id, label=lower_first(name)
                )
                continue
        if live != item.was_live_at_pin or live_revision_id != item.live_revision_at_pin_id:
            reasons[item.pk] = PUBLISHED_DIRECTLY.format(label=name)
    return reasons


def release_of(obj):
    """(the scheduled release that holds `obj`, the reason its item is in
    conflict or None), or (None, None): for the object's edit view."""
    item = (
        ReleaseItem.objects.filter(
            content_type=content_type_of(obj), object_id=str(obj.pk), in_scheduled_release=True
        )
        .select_related("release", "content_type", "revision")
        .first()
    )
    if item is None:
        return None, None
    reason = _reasons([item], _live_states([item]), {item.pk: obj}).get(item.pk)
    return item.release, reason


# Applying


def from_iso(value):
    return datetime.fromisoformat(value)


def as_iso(moment):
    return moment.astimezone(UTC).isoformat()


@dataclass
class _Plan:
    """One item, ready to apply: its object and revision loaded."""

    item: ReleaseItem
    obj: object
    revision: Revision | None = None
    page_ids: list = field(default_factory=list)

    def apply(self):
        if self.item.action == ItemAction.PUBLISH:
            self.revision.publish(
                log_action="wagtail.publish.scheduled", skip_permission_checks=True
            )
            live = base_model(type(self.obj)).objects.filter(pk=self.obj.pk)
            if not live.filter(live=True, live_revision=self.revision).exists():
                raise RuntimeError(WRONG_OUTCOME.format(label=label(self.obj)))
        else:
            self.obj.unpublish(log_action="wagtail.unpublish.scheduled")


def _prepare(release, go_live_at):
    """The plans of every item and the reasons of those that cannot be
    applied: the work that can be done before the instant."""
    items = list(release.items.select_related("content_type", "revision"))
    plans = []
    objects = {}
    for item in items:
        obj = object_of(item)
        objects[item.pk] = obj
        if obj is None:
            continue
        plan = _Plan(item=item, obj=obj)
        revision = item.revision
        if item.action == ItemAction.PUBLISH and revision is not None:
            # Loaded now, not at the instant; the publish reads it from here.
            Revision.content_object.set_cached_value(revision, obj)
            own_go_live = revision.content.get("go_live_at")
            if own_go_live and from_iso(own_go_live) > go_live_at:
                # The release says when; a go-live of the object's own would
                # make Wagtail schedule it instead of publishing it.
                revision.content = {**revision.content, "go_live_at": None}
            plan.revision = revision
        if isinstance(obj, Page):
            plan.page_ids = [obj.pk]
        elif isinstance(obj, Contact):
            plan.page_ids = [page.pk for page in pages_showing(obj.pk)]
        plans.append(plan)
    reasons = _reasons(items, _live_states(items), objects)
    return items, plans, reasons


def _signature(items):
    return [(i.pk, i.action, i.revision_id, i.live_revision_at_pin_id) for i in items]


class _Failure(Exception):
    def __init__(self, reasons):
        super().__init__(reasons)
        self.reasons = reasons


class NoFence:
    """What a release commits behind when nothing caches its pages."""

    lead_seconds = 0.0

    def prepare(self, page_ids):
        return None

    @contextmanager
    def up(self, prepared):
        yield None


def lead_seconds(item_count):
    """How long before its instant a release's task starts: to load and
    check every item, then to write them all in its transaction, so that the
    commit, the one moment visitors see, falls on the instant."""
    return settings.RELEASE_PREPARE_SECONDS + item_count * settings.RELEASE_MS_PER_ITEM / 1000


class _TryAtInstant(Exception):
    """The release could not be applied ahead of its instant: an editor may
    still mend it, and a release never fails before its time."""


def apply_release(release_id, go_live_at_iso, now=None, sleep=time.sleep, fence=None):
    """Apply the release if it is still scheduled for `go_live_at_iso`,
    whole or not at all, committed at its instant. Returns an Outcome.

    Every item is written ahead of the instant (`lead_seconds`), in the one
    transaction, which no one sees until it commits; the commit waits for
    the instant. Should an item fail ahead of it, everything is rolled back
    and tried once more at the instant, and only then does the release fail.

    `fence`: what the commit happens behind, so that no visitor sees an old
    page after a new one (the pipeline passes the page cache's; this app
    knows no cache): `prepare(page_ids)` first, `up(prepared)` from its
    `lead_seconds` before the instant, a context whose value's `confirm()`
    is the transaction's last step."""
    fence = fence or NoFence()
    go_live_at = from_iso(go_live_at_iso)
    # A caller's clock (a test on a night of its choosing) is taken as it is:
    # no waiting for the real one.
    clock = (lambda: now) if now is not None else timezone.now
    now = clock()
    release = Release.objects.filter(
        pk=release_id, state=ReleaseState.SCHEDULED, go_live_at=go_live_at
    ).first()
    if release is None:
        return Outcome(STALE)
    lead = timedelta(seconds=lead_seconds(release.items.count()))
    if now < go_live_at - lead:
        return Outcome(EARLY, (go_live_at - lead - now).total_seconds())

    items, plans, _reasons_now = _prepare(release, go_live_at)
    fenced = fence.prepare(sorted({page_id for plan in plans for page_id in plan.page_ids}))
    commit = _Commit(go_live_at, clock, sleep, fence, fenced)
    try:
        return _apply(release, go_live_at, clock, items, plans, commit, ahead=True)
    except _TryAtInstant:
        commit.wait_for(0.0)
        items, plans, _reasons_now = _prepare(release, go_live_at)
        return _apply(release, go_live_at, clock, items, plans, commit, ahead=False)


@dataclass
class _Commit:
    """When and behind what the release's transaction commits."""

    go_live_at: datetime
    clock: object
    sleep: object
    fence: object
    fenced: object

    def wait_for(self, before_seconds):
        wait = (self.go_live_at - self.clock()).total_seconds() - before_seconds
        if wait > 0:
            self.sleep(wait)

    def at_the_instant(self, stack):
        """Inside the transaction, everything written: the fence up, the
        instant awaited, the fence confirmed. The commit follows."""
        self.wait_for(self.fence.lead_seconds)
        guard = stack.enter_context(self.fence.up(self.fenced))
        self.wait_for(0.0)
        if guard is not None:
            guard.confirm()  # no commit that the cache cannot hide


def _apply(release, go_live_at, clock, items, plans, commit, ahead):
    """The claim and every item, in one transaction, committed at the
    instant behind the fence (the fence comes down after the commit)."""
    release_id = release.pk
    current = None
    try:
        with ExitStack() as stack, transaction.atomic():
            claimed = Release.objects.filter(
                pk=release_id, state=ReleaseState.SCHEDULED, go_live_at=go_live_at
            ).update(state=ReleaseState.PUBLISHED, claimed_at=clock())
            if not claimed:
                return Outcome(STALE)
            # The claim holds the row: nothing changes the items from here.
            # What changed since they were prepared is prepared again.
            fresh = list(release.items.select_related("content_type", "revision"))
            if _signature(fresh) != _signature(items):
                items, plans, reasons = _prepare(release, go_live_at)
            else:
                objects = {plan.item.pk: plan.obj for plan in plans}
                reasons = _reasons(items, _live_states(items), objects)
            if reasons:
                raise _Failure(reasons)
            page_ids = set()
            with at_instant(go_live_at), by_schedule(), publishing_approved_revision():
                for plan in plans:
                    current = plan
                    plan.apply()
                    page_ids.update(plan.page_ids)
            current = None
            # Pages whose own publish did not stamp them (those showing a
            # contact of the release): stamped here, with the content.
            for page_id in sorted(page_ids):
                PageUpdateStamp.objects.move_forward(page_id, go_live_at)
            Release.objects.filter(pk=release_id).update(published_at=go_live_at)
            # Done: its objects are free for the next release.
            ReleaseItem.objects.filter(release_id=release_id).update(in_scheduled_release=False)
            release.refresh_from_db()
            release_published.send(
                sender=Release, release=release, items=items, page_ids=sorted(page_ids)
            )
            commit.at_the_instant(stack)
    except _Failure as failure:
        if ahead and clock() < go_live_at:
            raise _TryAtInstant from failure
        return _fail(release_id, go_live_at, failure.reasons)
    except Exception as error:
        if current is None:
            raise  # not an item's fault (the database, the claim): the task retries
        if ahead and clock() < go_live_at:
            raise _TryAtInstant from error
        logger.exception("Utgåva %s: %s kunde inte tillämpas.", release_id, current.item)
        verb = "publiceras" if current.item.action == ItemAction.PUBLISH else "avpubliceras"
        text = " ".join(getattr(error, "messages", None) or [str(error)])
        reason = COULD_NOT_APPLY.format(label=label(current.obj), verb=verb, error=text)
        return _fail(release_id, go_live_at, {current.item.pk: reason})
    logger.info("Utgåva %s publicerad (%s ändringar, %s).", release_id, len(items), go_live_at)
    return Outcome(PUBLISHED)


def _fail(release_id, go_live_at, reasons):
    """Mark the release failed, with a reason per item, once."""
    with transaction.atomic():
        failed = Release.objects.filter(
            pk=release_id, state=ReleaseState.SCHEDULED, go_live_at=go_live_at
        ).update(
            state=ReleaseState.FAILED,
            failure_reasons={"items": {str(pk): reason for pk, reason in reasons.items()}},
            failed_at=timezone.now(),
        )
        if not failed:
            return Outcome(STALE)
        # A failed release holds its objects no more: editors may publish
        # them, or schedule the release again once it is mended.
        ReleaseItem.objects.filter(release_id=release_id).update(in_scheduled_release=False)
        release = Release.objects.get(pk=release_id)
        release_failed.send(sender=Release, release=release)
    logger.warning("Utgåva %s misslyckades: %s", release_id, reasons)
    return Outcome(FAILED)


def failure_seen(release, user):
    """Someone looked at the failed release: it leaves the top of the
    overview and the dashboard. True the first time."""
    return bool(
        Release.objects.filter(
            pk=release.pk, state=ReleaseState.FAILED, failure_seen_at__isnull=True
        ).update(failure_seen_at=timezone.now(), failure_seen_by=user)
    )


# Finding what is due


def releases_to_start(until):
    """(release id, go-live time) of every scheduled release whose task
    should have started by `until` (`lead_seconds` before its instant)."""
    releases = (
        Release.objects.filter(state=ReleaseState.SCHEDULED, go_live_at__isnull=False)
        .annotate(item_count=Count("items"))
        .order_by("go_live_at", "pk")
    )
    return [
        (release.pk, release.go_live_at)
        for release in releases
        if release.go_live_at - timedelta(seconds=lead_seconds(release.item_count)) <= until
    ]


def due_releases(until):
    """(release id, go-live time) of every scheduled release due by `until`."""
    return list(
        Release.objects.filter(state=ReleaseState.SCHEDULED, go_live_at__lte=until)
        .order_by("go_live_at", "pk")
        .values_list("pk", "go_live_at")
    )
