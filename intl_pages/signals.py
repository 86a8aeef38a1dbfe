"""Receivers that keep the page's own state in step with Wagtail's events."""

from django.dispatch import receiver
from wagtail.signals import page_published

from .models import InternationalPage
from .stamps import recompute_page_stamp


@receiver(page_published, sender=InternationalPage)
def stamp_page_on_publish(sender, instance, revision, **kwargs):
    # Wagtail also sends `page_published` when an editor merely schedules a
    # revision of a page that is not live yet: only a revision that really
    # went live moves the stamp.
    if not instance.live or instance.live_revision_id != revision.pk:
        return
    # In the publish's own transaction: the stamp is never a moment behind
    # the content it describes.
    recompute_page_stamp(instance)
