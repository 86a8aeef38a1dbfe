"""How a change flows through the content itself: Wagtail's publish and
unpublish keep "Senast uppdaterad" in step, in the change's own transaction
(the stamp is never a moment behind the content it describes), and a
contact's change is told once, with the pages that show it
(`signals.contact_changed`), so that no listener has to find them again.

Wagtail also sends `page_published` and `published` when an editor merely
schedules a revision of an object that is not live yet: `went_live` tells
a revision that really went live.
"""

from django.utils import timezone
from wagtail.signals import page_published, published, unpublished

from . import stamps
from .models import Contact, InternationalPage, went_live
from .signals import contact_changed


def stamp_page_on_publish(sender, instance, revision=None, **kwargs):
    if went_live(instance, revision):
        # The page's own publish event says so: no stamp event of its own.
        stamps.recompute_page_stamp(instance, announce=False)


def contact_published(sender, instance, revision=None, **kwargs):
    if went_live(instance, revision):
        _contact_changed(instance, instance.last_published_at or timezone.now(), published=True)


def contact_unpublished(sender, instance, **kwargs):
    _contact_changed(instance, timezone.now(), published=False)


def _contact_changed(contact, at, published):
    # The pages that show it (on an unpublish, the reference index still
    # knows them), found once: their stamps move here, and the event names
    # them.
    page_ids = stamps.move_stamps_of_pages_showing(contact.pk, at)
    contact_changed.send(
        sender=Contact, contact_id=contact.pk, page_ids=page_ids, published=published, at=at
    )


def register_signal_handlers():
    page_published.connect(stamp_page_on_publish, sender=InternationalPage)
    published.connect(contact_published, sender=Contact)
    unpublished.connect(contact_unpublished, sender=Contact)
