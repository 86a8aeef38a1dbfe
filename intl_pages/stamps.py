""" "Senast uppdaterad": which pages show a contact, how a page's stamp is
computed, and moving it forward.

The stamp is the last time anything the visitor sees on the page was
published: the page itself, or a contact it shows (published, unpublished or
expired). Stamps only ever move forward (`PageUpdateStamp.objects.move_forward`)
and no page revision is created. Plain functions: the receivers in
`signal_handlers` (a page's or a contact's change moves the stamps in its own
transaction), the reconcile sweep (`tasks.stamps`) and the tests call them.
"""

from django.contrib.contenttypes.models import ContentType
from wagtail.models import ModelLogEntry, Page, ReferenceIndex

from .models import Contact, InternationalPage, PageUpdateStamp

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


def pages_showing(contact_id):
    """The live international pages whose body refers to the contact, found
    through Wagtail's reference index."""
    page_ids = (
        ReferenceIndex.objects.filter(
            base_content_type=ContentType.objects.get_for_model(Page),
            to_content_type=ContentType.objects.get_for_model(Contact),
            to_object_id=str(contact_id),
        )
        .values_list("object_id", flat=True)
        .distinct()
    )
    return InternationalPage.objects.live().filter(pk__in=[int(pk) for pk in page_ids])


def last_visible_change_of_contacts(contact_ids):
    """When any of these contacts was last published or unpublished."""
    if not contact_ids:
        return None
    return (
        ModelLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Contact),
            object_id__in=[str(pk) for pk in contact_ids],
            action__in=CONTACT_VISIBLE_ACTIONS,
        )
        .order_by("-timestamp")
        .values_list("timestamp", flat=True)
        .first()
    )


def last_visible_change(page):
    """When the page, or a contact it shows, was last published or unpublished."""
    candidates = [page.last_published_at, last_visible_change_of_contacts(contacts_shown_on(page))]
    return max(c for c in candidates if c)


def recompute_page_stamp(page, announce=True):
    """Move the page's stamp forward to its last visible change; returns
    whether it moved. `announce=False` when the move is part of the page's
    own publish, which is told on its own."""
    return PageUpdateStamp.objects.move_forward(
        page.pk, last_visible_change(page), announce=announce
    )


def move_stamps_of_pages_showing(contact_id, changed_at):
    """A contact was published, unpublished or expired at `changed_at`: move
    the stamp of every live page that shows it, in one statement. Returns the
    ids of the pages that show it (each named by the contact's own event)."""
    page_ids = sorted(pages_showing(contact_id).values_list("pk", flat=True))
    PageUpdateStamp.objects.move_forward_all(page_ids, changed_at)
    return page_ids


def reconcile_all_stamps():
    """Recompute every live page's stamp: repairs what a lost task (Redis down
    when an editor published) left undone. Returns the pages whose stamp
    moved."""
    return [page for page in InternationalPage.objects.live() if recompute_page_stamp(page)]
