from django.dispatch import receiver

from changes.signals import visible_change

from . import events
from .signals import deliveries_due


@receiver(visible_change)
def write_outbox(sender, kind, page_ids, contact_id, at, **kwargs):
    # Sent inside the change's transaction: the rows commit or roll back with it.
    delivery_ids = events.record(kind, page_ids, contact_id, at)
    if delivery_ids:
        deliveries_due.send(sender="webhooks", delivery_ids=delivery_ids)
