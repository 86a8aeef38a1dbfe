"""From a change visitors see to the outbox: one delivery row per active
endpoint that subscribes to its kind, written in the change's transaction,
so that a change that rolls back leaves no delivery and a change that
commits is never without one.

The payload says what is published, nothing else: a page's id, title and
address as the page's own row holds them (Wagtail keeps the live version
there and drafts in revisions), a contact's id, when. No drafts, no
visitors' data, and no page that is not public: a page under a view
restriction, its own or an ancestor's, is for its own audience and is
never named to a front-end, whatever the event.
"""

import json
import uuid
from datetime import UTC, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from wagtail.models import Page

from changes import signals as changes

from .models import RELEASE_FAILED, RELEASE_PUBLISHED, Delivery, Endpoint

CONTACT_KINDS = (
    changes.CONTACT_PUBLISHED,
    changes.CONTACT_UNPUBLISHED,
    changes.CONTACT_EXPIRED,
    changes.CONTACT_REVIEWED,
)
# The page itself went off the site: its last published title and address
# still say which page it was. Sent even when no page is named (a page made
# private): a front-end that rebuilds on any event still drops it.
PAGE_GONE_KINDS = (changes.PAGE_UNPUBLISHED, changes.PAGE_EXPIRED)


def iso(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def page_entries(kind, page_ids):
    pages = Page.objects.filter(pk__in=page_ids).public().order_by("pk")
    if kind not in PAGE_GONE_KINDS:
        pages = pages.filter(live=True)
    entries = []
    for page in pages.only("pk", "title", "url_path", "path", "depth"):
        parts = page.get_url_parts()
        root_url, path = (parts[1], parts[2]) if parts else (None, None)
        entries.append(
            {
                "id": page.pk,
                "title": page.title,
                "path": path,
                "url": f"{root_url}{path}" if root_url and path is not None else None,
            }
        )
    return entries


def payload(kind, pages, contact_id, at, now=None):
    """The event as the endpoints get it (webhooks/schema.py documents it),
    naming `pages` (`page_entries`)."""
    data = {"at": iso(at), "pages": pages}
    if kind in CONTACT_KINDS:
        data["contact_id"] = contact_id
    return {"type": kind, "timestamp": iso(now or timezone.now()), "data": data}


def subscribers(kind):
    # Few endpoints, and JSON containment is not portable to SQLite: filter here.
    return [
        endpoint for endpoint in Endpoint.objects.filter(is_active=True) if kind in endpoint.events
    ]


def new_webhook_id():
    return f"msg_{uuid.uuid4().hex}"


def _event(kind, page_ids, contact_id, at, now):
    """The change's event (without its sequence number), or None when it
    names only pages a restricted audience sees (nothing public changed)."""
    pages = page_entries(kind, page_ids)
    if page_ids and not pages and kind not in (*CONTACT_KINDS, *PAGE_GONE_KINDS):
        return None
    return payload(kind, pages, contact_id, at or now, now)


def _encoded(event, sequence):
    return json.dumps({**event, "sequence": sequence}, ensure_ascii=False, separators=(",", ":"))


def next_sequences(endpoints):
    """{endpoint id: its next sequence number}, taken in the caller's
    transaction. The UPDATE locks the endpoints' rows until it commits, so
    a later change waits and numbers after it: the numbers follow the order
    in which the changes commit."""
    ids = sorted(endpoint.pk for endpoint in endpoints)
    Endpoint.objects.filter(pk__in=ids).update(last_sequence=F("last_sequence") + 1)
    return dict(Endpoint.objects.filter(pk__in=ids).values_list("pk", "last_sequence"))


def write(kind, endpoints, event, now):
    """One delivery row per endpoint for `event` (a payload without its
    sequence number), each body with its endpoint's number. Returns their ids."""
    sequences = next_sequences(endpoints)
    retry_until = now + timedelta(seconds=settings.WEBHOOKS_RETRY_FOR_SECONDS)
    rows = Delivery.objects.bulk_create(
        Delivery(
            endpoint=endpoint,
            webhook_id=new_webhook_id(),
            event_type=kind,
            payload=_encoded(event, sequences[endpoint.pk]),
            sequence=sequences[endpoint.pk],
            next_attempt_at=now,
            retry_until=retry_until,
        )
        for endpoint in endpoints
    )
    return [row.pk for row in rows]


def record(kind, page_ids=(), contact_id=None, at=None):
    """Write the deliveries of one change, in the caller's transaction.
    Returns their ids."""
    endpoints = subscribers(kind)
    if not endpoints:
        return []
    now = timezone.now()
    event = _event(kind, page_ids, contact_id, at, now)
    if event is None:
        return []
    return write(kind, endpoints, event, now)


def rewrite(delivery_ids, change):
    """Give the deliveries of a change, written earlier in this transaction,
    the payload of the change as it has grown since (more pages, a later
    time), each keeping its sequence number. Returns how many rows it found:
    none when a savepoint that wrote them rolled back."""
    rows = list(Delivery.objects.filter(pk__in=delivery_ids))
    event = _event(change.kind, change.page_ids, change.contact_id, change.at, timezone.now())
    if event is not None:
        for row in rows:
            row.payload = _encoded(event, row.sequence)
        Delivery.objects.bulk_update(rows, ["payload"])
    return len(rows)


# Releases


def release_entry(release):
    return {
        "id": release.pk,
        "name": release.name,
        "go_live_at": iso(release.go_live_at) if release.go_live_at else None,
    }


def item_entry(item):
    return {
        "id": item.pk,
        "type": "page" if item.content_type.model_class() is Page else "contact",
        "object_id": int(item.object_id),
        "action": item.action,
        "revision": item.revision_id,
    }


def record_release_published(release, items, page_ids):
    """`release.published`: the release, every item, the public pages whose
    content changed; in the release's transaction."""
    endpoints = subscribers(RELEASE_PUBLISHED)
    if not endpoints:
        return []
    now = timezone.now()
    event = {
        "type": RELEASE_PUBLISHED,
        "timestamp": iso(now),
        "data": {
            "at": iso(release.go_live_at),
            "release": release_entry(release),
            "items": [item_entry(item) for item in items],
            # Unpublished pages too, with their last title and address.
            "pages": page_entries(changes.PAGE_UNPUBLISHED, page_ids),
        },
    }
    return write(RELEASE_PUBLISHED, endpoints, event, now)


def record_release_failed(release):
    """`release.failed`: the release and the reason for each item that
    stopped it. Names no page: nothing was published."""
    endpoints = subscribers(RELEASE_FAILED)
    if not endpoints:
        return []
    now = timezone.now()
    reasons = release.failure_reasons.get("items", {})
    event = {
        "type": RELEASE_FAILED,
        "timestamp": iso(now),
        "data": {
            "at": iso(release.failed_at or now),
            "release": release_entry(release),
            "reasons": [{"item": int(pk), "reason": text} for pk, text in reasons.items()],
        },
    }
    return write(RELEASE_FAILED, endpoints, event, now)
