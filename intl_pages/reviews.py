"""Review dates (Webbriktlinjer R23, R26): "Granskad", what is due, and who
is reminded.

A review is the owner's word that the page (or contact) still says what is
true. It is kept in `Review` rows outside the revisions: it creates no
revision and leaves "Senast uppdaterad" where it is. It is still a change
visitors see ("Senast granskad" on the page, the dates in the API), so it is
told with `signals.reviewed` in its transaction, and the change events purge
the cache and write the webhooks.

Plain functions: the admin's "Granskad" view, the report "Att granska", the
digests' reminders (through FEEDBACK_REMINDER_SOURCES: the feedback app does
not import this one) and the tests call them. What is due is computed in
Python over the live objects, one query per type, whatever their number.
"""

from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import Page, ReferenceIndex

from .models import (
    REVIEW_INTERVAL_PERMISSION,
    AccessibilityStatementPage,
    Contact,
    InternationalPage,
    Review,
)
from .signals import reviewed

LOG_ACTION = "intl_pages.reviewed"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# The page types that are reviewed: each has an owner address.
PAGE_MODELS = (InternationalPage, AccessibilityStatementPage)
KEEP = object()


def kind_of(obj):
    return "contact" if isinstance(obj, Contact) else "page"


def can_review(user, obj):
    """Anyone who may publish the object may say it is reviewed."""
    if isinstance(obj, Contact):
        return Contact.snippet_viewset.permission_policy.user_has_permission(user, "publish")
    return obj.permissions_for_user(user).can_publish()


def can_change_interval(user):
    return user.has_perm(REVIEW_INTERVAL_PERMISSION)


def mark_reviewed(obj, user, interval_days=KEEP, at=None):
    """Record that `user` reviewed `obj` now (or at `at`), and, when given,
    its own interval (None: the type's default). No revision; the stamp
    stays. Returns the Review row."""
    at = at or timezone.now()
    field = "contact" if isinstance(obj, Contact) else "page"
    with transaction.atomic():
        review, _ = Review.objects.select_for_update().get_or_create(**{f"{field}_id": obj.pk})
        review.last_reviewed_at = at
        review.last_reviewed_by = user
        if interval_days is not KEEP:
            review.interval_days = interval_days
        review.save()
        # The object's cached reverse relation is stale now.
        obj.review = review
        log(instance=obj, action=LOG_ACTION, user=user)
        if field == "contact":
            reviewed.send(sender=Contact, page_ids=[], contact_id=obj.pk, at=at)
        else:
            reviewed.send(sender=type(obj), page_ids=[obj.pk], contact_id=None, at=at)
    return review


def review_url(obj):
    """The absolute address of the admin's "Granskad" view for the object."""
    path = reverse("intl_pages_review", args=[kind_of(obj), obj.pk])
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def local_date(moment):
    return timezone.localtime(moment, STOCKHOLM).strftime("%Y-%m-%d")


# What the due dates and the reminders read: not the bodies, which the
# digests' sweep would otherwise load for every page every minute.
REVIEW_FIELDS = ("review__last_reviewed_at", "review__interval_days")


def live_pages(whole=False):
    """Every live reviewed page with its review row: one query per type.
    `whole`: every field (the report checks permissions on them)."""
    pages = []
    for model in PAGE_MODELS:
        queryset = model.objects.live().select_related("review")
        if not whole:
            fields = ("title", "owner_email", "first_published_at", "live", *REVIEW_FIELDS)
            queryset = queryset.only(*fields)
        pages.extend(queryset)
    return pages


def live_contacts(whole=False):
    queryset = Contact.objects.filter(live=True).select_related("review")
    if not whole:
        queryset = queryset.only("name", "first_published_at", "live", *REVIEW_FIELDS)
    return list(queryset)


def contact_page_ids():
    """{contact id: ids of the pages that refer to it}, from Wagtail's
    reference index, in one query."""
    rows = ReferenceIndex.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page),
        to_content_type=ContentType.objects.get_for_model(Contact),
    ).values_list("to_object_id", "object_id")
    shown = defaultdict(set)
    for contact_id, page_id in rows:
        shown[int(contact_id)].add(int(page_id))
    return shown


def is_due(obj, now):
    due = obj.review_due_at
    return due is not None and due <= now


def due_objects(now=None, whole=False):
    """Every live page and contact whose review is due, each with the owner
    addresses it is due for (a contact: the owners of every live page that
    shows it), oldest due first. [(obj, owners)]. `whole`: the objects with
    every field loaded."""
    now = now or timezone.now()
    pages = live_pages(whole)
    owner_of = {page.pk: page.owner_email for page in pages}
    due = [(page, [page.owner_email]) for page in pages if is_due(page, now)]
    contacts = [c for c in live_contacts(whole) if is_due(c, now)]
    if contacts:
        shown = contact_page_ids()
        for contact in contacts:
            owners = sorted({owner_of[pk] for pk in shown.get(contact.pk, ()) if pk in owner_of})
            due.append((contact, owners))
    due.sort(key=lambda item: (item[0].review_due_at, kind_of(item[0]), item[0].pk))
    return due


def reminder(obj):
    """A due object as the digest shows it: plain data."""
    return {
        "kind": "kontaktperson" if isinstance(obj, Contact) else "sida",
        "title": obj.name if isinstance(obj, Contact) else obj.title,
        "due_at": obj.review_due_at,
        "due_on": local_date(obj.review_due_at),
        "last_reviewed_on": local_date(obj.last_reviewed_at) if obj.last_reviewed_at else "",
        "review_url": review_url(obj),
    }


def reminders_by_owner(now=None):
    """{owner address: [reminder]} of everything due: what the digests add
    under "Sidor att granska" (FEEDBACK_REMINDER_SOURCES)."""
    by_owner = defaultdict(list)
    for obj, owners in due_objects(now):
        item = reminder(obj)
        for owner in owners:
            by_owner[owner].append(item)
    return dict(by_owner)
