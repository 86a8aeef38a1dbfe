"""'Senast uppdaterad' of a page, computed from what the visitor sees.

The last time anything on the page was published: the page itself, or a
contact it shows (published, unpublished or expired). Read from the page's
own body and the contacts' log entries, so it does not depend on the
reference index being up to date. Plain functions: the page's publish
receiver and the pipeline's reconciling sweep both call them.
"""

from django.contrib.contenttypes.models import ContentType
from wagtail.models import ModelLogEntry

from .models import Contact, move_last_updated

# The log actions that change what a visitor sees of a contact.
CONTACT_VISIBLE_ACTIONS = (
    "wagtail.publish",
    "wagtail.publish.scheduled",
    "wagtail.unpublish",
    "wagtail.unpublish.scheduled",
)


def contacts_shown_on(page):
    """Ids of the contacts in the page's live body (read from the body itself,
    so a reference index that lags behind a publish does not matter)."""
    ids = set()
    for block in page.body.raw_data:
        if block["type"] == "contacts":
            for item in block["value"].get("contacts", []):
                value = item["value"] if isinstance(item, dict) else item
                if value:
                    ids.add(int(value))
    return ids


def last_visible_change_of_contacts(contact_ids):
    """When any of these contacts was last published or unpublished."""
    if not contact_ids:
        return None
    contact_type = ContentType.objects.get_for_model(Contact)
    entry = (
        ModelLogEntry.objects.filter(
            content_type=contact_type,
            object_id__in=[str(pk) for pk in contact_ids],
            action__in=CONTACT_VISIBLE_ACTIONS,
        )
        .order_by("-timestamp")
        .values_list("timestamp", flat=True)
        .first()
    )
    return entry


def last_visible_change(page):
    """When the page, or a contact it shows, was last published or unpublished."""
    candidates = [page.last_published_at, last_visible_change_of_contacts(contacts_shown_on(page))]
    return max(c for c in candidates if c)


def recompute_last_updated(page):
    """Move the page's stamp forward to its last visible change; returns
    whether it moved."""
    return move_last_updated(page.pk, last_visible_change(page))
