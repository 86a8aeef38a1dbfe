"""Everything scheduled, as plain rows: one function that the admin's report,
its calendar, the dashboard panel, the iCalendar feed and the API all call,
so that they cannot disagree.

Each kind of scheduled change is one source: a function that takes the
period and returns rows. Wagtail's own per-object schedules (a revision's
`approved_go_live_at`, an object's `expire_at`) and the failures recorded
for them are one source; releases (releases/) are another: one row per
release, scheduled, in conflict or failed and not yet looked at.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from wagtail.models import DraftStateMixin, ModelLogEntry, Page, PageLogEntry, Revision

from .models import EXPIRE, PUBLISH, ScheduledChangeFailure

PENDING = "pending"
FAILED = "failed"
CONFLICT = "conflict"  # a release's item published past it (releases/)

PAGE = "page"
CONTACT = "contact"

RELEASE = "release"

WHAT_LABELS = {PAGE: "sida", CONTACT: "kontaktperson", RELEASE: "utgåva"}
ACTION_LABELS = {PUBLISH: "Publiceras", EXPIRE: "Avpubliceras"}
STATE_LABELS = {PENDING: "Planerad", FAILED: "Misslyckades", CONFLICT: "Konflikt"}


@dataclass(frozen=True)
class Row:
    """One scheduled change. `when` is aware and in UTC."""

    kind: str  # which source: "schedule" (Wagtail's per-object), "release", ...
    object: Any
    what: str  # "page", "contact", ...
    action: str  # "publish" or "expire"
    when: datetime
    scheduled_by: Any = None
    revision_id: int | None = None
    compare_url: str | None = None
    edit_url: str | None = None
    state: str = PENDING
    failure_reason: str = ""
    failure_id: int | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def key(self):
        """Stable across reads: the iCalendar UID, the de-duplication of a
        pending change and its failure."""
        pk = getattr(self.object, "pk", self.object)
        return f"{self.kind}-{self.what}-{pk}-{self.action}-{int(self.when.timestamp())}"

    @property
    def title(self):
        return str(self.object)

    @property
    def what_label(self):
        return WHAT_LABELS.get(self.what, self.what)

    @property
    def action_label(self):
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def state_label(self):
        return STATE_LABELS.get(self.state, self.state)

    @property
    def needs_attention(self):
        return self.state in (FAILED, CONFLICT)


# Where an object is edited and compared


def what_of(obj):
    return PAGE if isinstance(obj, Page) else CONTACT if _is_contact(obj) else obj._meta.model_name


def _is_contact(obj):
    return obj._meta.label_lower == "intl_pages.contact"


def edit_url(obj):
    if isinstance(obj, Page):
        return reverse("wagtailadmin_pages:edit", args=[obj.pk])
    viewset = getattr(type(obj), "snippet_viewset", None)
    return reverse(viewset.get_url_name("edit"), args=[obj.pk]) if viewset else None


def compare_url(obj, revision_id):
    """Wagtail's compare view: what is live now beside the revision that will be."""
    if revision_id is None:
        return None
    before = obj.live_revision_id if obj.live_revision_id else "earliest"
    if before == revision_id:
        return None
    try:
        if isinstance(obj, Page):
            name = "wagtailadmin_pages:revisions_compare"
        else:
            name = type(obj).snippet_viewset.get_url_name("revisions_compare")
        return reverse(name, args=[obj.pk, before, revision_id])
    except (AttributeError, NoReverseMatch):
        return None


# Wagtail's per-object schedules


def scheduled_models():
    from django.apps import apps

    return [Page] + [
        model
        for model in apps.get_models()
        if issubclass(model, DraftStateMixin) and not issubclass(model, Page)
    ]


def _objects_by_type(keys):
    """{(content type id, str(pk)): object} for [(content type id, pk)], one
    query per model."""
    wanted = {}
    for content_type_id, pk in keys:
        wanted.setdefault(content_type_id, set()).add(str(pk))
    found = {}
    for content_type_id, pks in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        base = Page if issubclass(model, Page) else model
        for obj in base.objects.filter(pk__in=pks):
            found[(content_type_id, str(obj.pk))] = obj
    return found


def _schedulers(revision_ids):
    """{revision id: user} from Wagtail's "wagtail.publish.schedule" log
    entries: the user who pressed "Publicera" with a time ahead, which the
    revision's own author need not be."""
    if not revision_ids:
        return {}
    who = {}
    for model in (PageLogEntry, ModelLogEntry):
        entries = (
            model.objects.filter(action="wagtail.publish.schedule", revision_id__in=revision_ids)
            .select_related("user")
            .order_by("timestamp")
        )
        for entry in entries:
            who[entry.revision_id] = entry.user
    return who


def _expiry_setters(objects):
    """{(model, str(pk)): (time, user)}: the last log entry that set an
    object's `expire_at` without a publish (the API does so, and logs it)."""
    found = {}
    pages = [obj.pk for obj in objects if isinstance(obj, Page)]
    others = {}
    for obj in objects:
        if not isinstance(obj, Page):
            others.setdefault(type(obj), []).append(str(obj.pk))
    entries = []
    if pages:
        entries += [
            (Page, str(e.page_id), e)
            for e in PageLogEntry.objects.filter(
                page_id__in=pages, data__has_key="expire_at", user__isnull=False
            ).select_related("user")
        ]
    for model, pks in others.items():
        content_type = ContentType.objects.get_for_model(model)
        entries += [
            (model, e.object_id, e)
            for e in ModelLogEntry.objects.filter(
                content_type=content_type,
                object_id__in=pks,
                data__has_key="expire_at",
                user__isnull=False,
            ).select_related("user")
        ]
    for model, pk, entry in sorted(entries, key=lambda item: item[2].timestamp):
        found[(model, pk)] = (entry.timestamp, entry.user)
    return found


def _expiry_scheduler(obj, setters):
    """Who set the expiry: the author of the live revision that brought it
    (the admin's form), or a later change of the expiry alone (the API)."""
    revision = obj.live_revision
    setter = setters.get((Page if isinstance(obj, Page) else type(obj), str(obj.pk)))
    if setter and (revision is None or setter[0] >= revision.created_at):
        return setter[1]
    return revision.user if revision else None


def scheduler_of(revision):
    """Who scheduled this revision: the log's "wagtail.publish.schedule",
    else its author."""
    return _schedulers([revision.pk]).get(revision.pk) or revision.user


def _period_filter(name, start, end):
    condition = Q(**{f"{name}__isnull": False})
    if start is not None:
        condition &= Q(**{f"{name}__gte": start})
    if end is not None:
        condition &= Q(**{f"{name}__lt": end})
    return condition


def object_schedules(start=None, end=None):
    """Every revision approved to go live, and every live object with an
    expiry, in the period."""
    revisions = list(
        Revision.objects.filter(_period_filter("approved_go_live_at", start, end)).select_related(
            "user"
        )
    )
    expiring = []
    for model in scheduled_models():
        expiring += list(
            model.objects.filter(
                _period_filter("expire_at", start, end), live=True, expired=False
            ).select_related("live_revision__user")
        )
    objects = _objects_by_type((r.base_content_type_id, r.object_id) for r in revisions)
    schedulers = _schedulers([r.pk for r in revisions])
    rows = []
    for revision in revisions:
        obj = objects.get((revision.base_content_type_id, str(revision.object_id)))
        if obj is None:
            continue
        rows.append(
            Row(
                kind="schedule",
                object=obj,
                what=what_of(obj),
                action=PUBLISH,
                when=revision.approved_go_live_at.astimezone(UTC),
                scheduled_by=schedulers.get(revision.pk) or revision.user,
                revision_id=revision.pk,
                compare_url=compare_url(obj, revision.pk),
                edit_url=edit_url(obj),
            )
        )
    setters = _expiry_setters(expiring)
    for obj in expiring:
        rows.append(
            Row(
                kind="schedule",
                object=obj,
                what=what_of(obj),
                action=EXPIRE,
                when=obj.expire_at.astimezone(UTC),
                scheduled_by=_expiry_scheduler(obj, setters),
                revision_id=None,
                compare_url=None,
                edit_url=edit_url(obj),
            )
        )
    return rows


def object_failures(start=None, end=None):
    """The failures no one has marked as seen, whatever their time: they stay
    on top until someone has looked."""
    failures = list(
        ScheduledChangeFailure.objects.filter(acknowledged_at__isnull=True).select_related(
            "scheduled_by", "content_type"
        )
    )
    objects = _objects_by_type((f.content_type_id, f.object_id) for f in failures)
    rows = []
    for failure in failures:
        obj = objects.get((failure.content_type_id, str(failure.object_id)))
        if obj is None:
            continue
        rows.append(
            Row(
                kind="schedule",
                object=obj,
                what=what_of(obj),
                action=failure.action,
                when=failure.due_at.astimezone(UTC),
                scheduled_by=failure.scheduled_by,
                revision_id=failure.revision_id,
                compare_url=compare_url(obj, failure.revision_id),
                edit_url=edit_url(obj),
                state=FAILED,
                failure_reason=failure.reason,
                failure_id=failure.pk,
            )
        )
    return rows


# Every kind of scheduled change: a function (start, end) -> [Row]. A new
# kind is one more function here.
def release_rows(start=None, end=None):
    """Every scheduled release in the period, and every failed one nobody
    has looked at yet (its view marks it seen), whatever its time."""
    from releases import actions as release_actions
    from releases.models import Release, ReleaseState

    scheduled = Release.objects.filter(
        _period_filter("go_live_at", start, end), state=ReleaseState.SCHEDULED
    )
    failed = Release.objects.filter(state=ReleaseState.FAILED, failure_seen_at__isnull=True)
    rows = []
    for release in (scheduled | failed).select_related("scheduled_by").order_by("pk"):
        reasons = []
        state = PENDING
        if release.state == ReleaseState.FAILED:
            state = FAILED
            reasons = list(release.failure_reasons.get("items", {}).values())
        else:
            conflicts = release_actions.conflicts(release)
            if conflicts:
                state = CONFLICT
                reasons = list(conflicts.values())
        rows.append(
            Row(
                kind=RELEASE,
                object=release,
                what=RELEASE,
                action=PUBLISH,
                when=(release.go_live_at or release.failed_at).astimezone(UTC),
                scheduled_by=release.scheduled_by,
                edit_url=reverse("releases_admin:detail", args=[release.pk]),
                state=state,
                failure_reason=" ".join(reasons),
                extra={"items": release.items.count()},
            )
        )
    return rows


SOURCES = [object_failures, object_schedules, release_rows]


# Who may see and act


def may_see(user, obj):
    if user.is_superuser:
        return True
    if obj._meta.label_lower == "releases.release":
        # Releases are every editor's (the release views are the admin's).
        return user.has_perm("wagtailadmin.access_admin")
    if isinstance(obj, Page):
        return obj.permissions_for_user(user).can_edit()
    meta = obj._meta
    return user.has_perm(f"{meta.app_label}.change_{meta.model_name}")


def may_publish(user, obj):
    if user.is_superuser:
        return True
    if isinstance(obj, Page):
        return obj.permissions_for_user(user).can_publish()
    meta = obj._meta
    return user.has_perm(f"{meta.app_label}.publish_{meta.model_name}")


def _sort_key(row):
    # Failures and conflicts first, then time order.
    return (0 if row.needs_attention else 1, row.when, row.key)


def scheduled_changes(user=None, start=None, end=None, kinds=None, owner=None):
    """Every scheduled change in time order, failures and conflicts first.

    `user`: only what that user may see (None: everything). `start`, `end`:
    the period, aware datetimes, `end` excluded (failures not yet seen are
    shown whatever their time). `kinds`: the `what`s to keep ("page",
    "contact", ...; None: all). `owner`: only what this user (or user id)
    scheduled.
    """
    rows = [row for source in SOURCES for row in source(start=start, end=end)]
    failed = {row.key for row in rows if row.needs_attention}
    # A change that failed but is still planned (its retries spent, the
    # sweep still trying) is one row: the failure.
    rows = [row for row in rows if row.needs_attention or row.key not in failed]
    if kinds:
        rows = [row for row in rows if row.what in kinds or row.kind in kinds]
    if owner is not None:
        owner_id = getattr(owner, "pk", owner)
        rows = [row for row in rows if getattr(row.scheduled_by, "pk", None) == int(owner_id)]
    if user is not None:
        rows = [row for row in rows if may_see(user, row.object)]
    return sorted(rows, key=_sort_key)
