from django.dispatch import receiver

from changes.signals import visible_change
from releases.signals import release_failed, release_published

from . import events
from .signals import deliveries_due


@receiver(visible_change)
def write_outbox(sender, kind, page_ids, contact_id, at, **kwargs):
    # Sent inside the change's transaction: the rows commit or roll back with it.
    delivery_ids = events.record(kind, page_ids, contact_id, at)
    if delivery_ids:
        deliveries_due.send(sender="webhooks", delivery_ids=delivery_ids)


@receiver(release_published)
def write_release_published(sender, release, items, page_ids, **kwargs):
    delivery_ids = events.record_release_published(release, items, page_ids)
    if delivery_ids:
        deliveries_due.send(sender="webhooks", delivery_ids=delivery_ids)


@receiver(release_failed)
def write_release_failed(sender, release, **kwargs):
    delivery_ids = events.record_release_failed(release)
    if delivery_ids:
        deliveries_due.send(sender="webhooks", delivery_ids=delivery_ids)
