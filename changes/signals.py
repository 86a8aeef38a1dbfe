"""One event for every change that visitors see: "what visitors see on these
pages changed". The cache purges on it, the webhooks write their outbox on
it, the front-end cache (a CDN or Varnish) is purged on it.

It is sent inside the transaction of the change, so that a receiver can
write in the same transaction (the webhooks' outbox) or act once it commits
(`transaction.on_commit`: the purges). Receivers get:

    kind        one of KINDS
    page_ids    the live pages whose content visitors see changed (for a
                contact: every page that shows it), possibly empty
    contact_id  the contact, for the contact kinds
    at          when the change happened (aware, UTC)
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
STAMP_MOVED = "page.stamp_moved"  # "Senast uppdaterad" moved forward

KINDS = (
    PAGE_PUBLISHED,
    PAGE_UNPUBLISHED,
    PAGE_WENT_LIVE,
    PAGE_EXPIRED,
    CONTACT_PUBLISHED,
    CONTACT_UNPUBLISHED,
    CONTACT_EXPIRED,
    STAMP_MOVED,
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
    from django.utils import timezone

    if kind not in KINDS:
        raise ValueError(f"Unknown kind of change: {kind}")
    visible_change.send(
        sender=kind,
        kind=kind,
        page_ids=sorted(set(page_ids)),
        contact_id=contact_id,
        at=at or timezone.now(),
    )


# A live object's expiry was set or moved without a publish (the API's
# schedule endpoint): sent with `instance`, inside the transaction, so that
# the pipeline plans it to the second as it does after a publish.
expiry_changed = Signal()
