"""Receivers that keep the page's own state in step with Wagtail's events."""

from django.dispatch import receiver
from wagtail.signals import page_published

from .models import InternationalPage, move_last_updated


@receiver(page_published, sender=InternationalPage)
def stamp_page_on_publish(sender, instance, revision, **kwargs):
    # Wagtail also sends `page_published` when an editor merely schedules a
    # revision of a page that is not live yet: only a revision that really
    # went live moves the stamp.
    if not instance.live or instance.live_revision_id != revision.pk:
        return
    move_last_updated(instance.pk, instance.last_published_at)
