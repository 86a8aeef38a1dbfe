"""One event for every change that visitors see: "what visitors see on these
pages changed", collected per transaction into one change set
(changes/changeset.py says how the set merges and who acts on it).

`announce` adds a change to its transaction's set. Two signals carry it:

- `visible_change`, inside the transaction, for each change the set takes
  in (a stamp moved on a page the set already names is not taken in), so
  that a receiver can write in the same transaction (the webhooks' outbox).
  Receivers get:

    kind        one of KINDS
    page_ids    the live pages whose content visitors see changed (for a
                contact: every page that shows it), possibly empty
    contact_id  the contact, for the contact kinds
    at          when the change happened (aware, UTC)
    change      the set's change it merged into (all its pages so far)
    changeset   the transaction's change set

- `changeset.changes_committed`, once per set, after the commit, with the
  whole set: the page cache and the front-end cache purge on it.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.dispatch import Signal

PAGE_PUBLISHED = "page.published"  # by an editor, or made public again
PAGE_UNPUBLISHED = "page.unpublished"  # by an editor, or made private
PAGE_WENT_LIVE = "page.went_live"  # published by the schedule, at its go-live time
PAGE_EXPIRED = "page.expired"  # unpublished by the schedule, at its expiry time
CONTACT_PUBLISHED = "contact.published"
CONTACT_UNPUBLISHED = "contact.unpublished"
CONTACT_EXPIRED = "contact.expired"
# The page's address changed (moved, or its slug changed): it, and the live
# pages under it, at their new addresses.
PAGE_MOVED = "page.moved"
# A site or a site setting was saved or deleted: what every page shows may
# have changed; no page is named.
SITE_CHANGED = "site.changed"
# "Senast uppdaterad" moved forward by something that is not itself a change
# of the set (the reconcile sweep): a page's own publish and a contact's
# change move the stamps of their pages within their own event.
STAMP_MOVED = "page.stamp_moved"
# Someone marked a page "Granskad": its "Senast granskad" moved (the page
# shows it), its "Senast uppdaterad" did not.
PAGE_REVIEWED = "page.reviewed"
# Someone marked a contact "Granskad": its review dates in the contacts'
# listing moved; no page shows them, so no page is named.
CONTACT_REVIEWED = "contact.reviewed"

KINDS = (
    PAGE_PUBLISHED,
    PAGE_UNPUBLISHED,
    PAGE_WENT_LIVE,
    PAGE_EXPIRED,
    CONTACT_PUBLISHED,
    CONTACT_UNPUBLISHED,
    CONTACT_EXPIRED,
    PAGE_MOVED,
    SITE_CHANGED,
    STAMP_MOVED,
    PAGE_REVIEWED,
    CONTACT_REVIEWED,
)

visible_change = Signal()

# Set by the scheduling pipeline around a scheduled publish or expiry, so
# that the event says "went live" or "expired" rather than "published".
_by_schedule = ContextVar("changed_by_schedule", default=False)


@contextmanager
def by_schedule():
    token = _by_schedule.set(True)
    try:
        yield
    finally:
        _by_schedule.reset(token)


def is_by_schedule():
    return _by_schedule.get()


def announce(kind, page_ids=(), contact_id=None, at=None):
    """Add a change to the current transaction's change set (outside a
    transaction: a set of its own, acted on at once)."""
    from django.utils import timezone

    from .changeset import current_changeset

    if kind not in KINDS:
        raise ValueError(f"Unknown kind of change: {kind}")
    page_ids = sorted(set(page_ids))
    at = at or timezone.now()

    def add(changeset):
        change = changeset.add(kind, page_ids, contact_id, at, stamp_kind=STAMP_MOVED)
        if change is not None:
            visible_change.send(
                sender=kind,
                kind=kind,
                page_ids=[pk for pk in page_ids if pk in change.page_ids],
                contact_id=contact_id,
                at=at,
                change=change,
                changeset=changeset,
            )

    current_changeset(add)


# A live object's expiry was set or moved without a publish (the API's
# schedule endpoint): sent with `instance`, inside the transaction, so that
# the pipeline plans it to the second as it does after a publish.
expiry_changed = Signal()
