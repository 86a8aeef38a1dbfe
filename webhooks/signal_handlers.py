"""A change visitors see, written to the outbox in the change's own
transaction: the rows commit or roll back with it.

One delivery per change of the transaction's change set and endpoint
(changes/changeset.py): the first `visible_change` of a change writes its
rows; a later one that merged into the same change (a second page published
in the same transaction, a release) rewrites their payload, so that the set
is one event per kind. A rewrite that finds no row (its savepoint rolled
back) writes them again. The rows are written in the order in which the
set's changes first happened.
"""

from changes.signals import visible_change
from releases.signals import release_failed, release_published

from . import events
from .signals import deliveries_due


def write_outbox(sender, change, changeset, **kwargs):
    written = changeset.listeners.setdefault("webhooks", {})
    delivery_ids = written.get(change.key)
    if delivery_ids and events.rewrite(delivery_ids, change):
        return  # already queued for the commit
    delivery_ids = events.record(change.kind, change.page_ids, change.contact_id, change.at)
    written[change.key] = delivery_ids
    if delivery_ids:
        deliveries_due.send(sender="webhooks", delivery_ids=delivery_ids)


def write_release_published(sender, release, items, page_ids, **kwargs):
    # Beside the per-object events of its set: one event for the whole.
    delivery_ids = events.record_release_published(release, items, page_ids)
    if delivery_ids:
        deliveries_due.send(sender="webhooks", delivery_ids=delivery_ids)


def write_release_failed(sender, release, **kwargs):
    delivery_ids = events.record_release_failed(release)
    if delivery_ids:
        deliveries_due.send(sender="webhooks", delivery_ids=delivery_ids)


def register_signal_handlers():
    visible_change.connect(write_outbox)
    release_published.connect(write_release_published)
    release_failed.connect(write_release_failed)
