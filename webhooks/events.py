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
from django.utils import timezone
from wagtail.models import Page

from changes import signals as changes

from .models import Delivery, Endpoint

CONTACT_KINDS = (changes.CONTACT_PUBLISHED, changes.CONTACT_UNPUBLISHED, changes.CONTACT_EXPIRED)
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


def _body(kind, page_ids, contact_id, at, now):
    """The body of the change's deliveries, or None when it names only
    pages a restricted audience sees (nothing public changed)."""
    pages = page_entries(kind, page_ids)
    if page_ids and not pages and kind not in (*CONTACT_KINDS, *PAGE_GONE_KINDS):
        return None
    return json.dumps(
        payload(kind, pages, contact_id, at or now, now),
        ensure_ascii=False,
        separators=(",", ":"),
    )


def record(kind, page_ids=(), contact_id=None, at=None):
    """Write the deliveries of one change, in the caller's transaction.
    Returns their ids."""
    endpoints = subscribers(kind)
    if not endpoints:
        return []
    now = timezone.now()
    body = _body(kind, page_ids, contact_id, at, now)
    if body is None:
        return []
    retry_until = now + timedelta(seconds=settings.WEBHOOKS_RETRY_FOR_SECONDS)
    rows = Delivery.objects.bulk_create(
        Delivery(
            endpoint=endpoint,
            webhook_id=new_webhook_id(),
            event_type=kind,
            payload=body,
            next_attempt_at=now,
            retry_until=retry_until,
        )
        for endpoint in endpoints
    )
    return [row.pk for row in rows]


def rewrite(delivery_ids, change):
    """Give the deliveries of a change, written earlier in this transaction,
    the payload of the change as it has grown since (more pages, a later
    time). Returns how many rows it found: none when a savepoint that wrote
    them rolled back."""
    body = _body(change.kind, change.page_ids, change.contact_id, change.at, timezone.now())
    if body is None:
        return Delivery.objects.filter(pk__in=delivery_ids).count()
    return Delivery.objects.filter(pk__in=delivery_ids).update(payload=body)
