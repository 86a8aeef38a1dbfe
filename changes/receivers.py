"""Wagtail's signals and the content's own, turned into `visible_change`.

Wagtail sends `page_published` and `published` also when a revision is only
scheduled (the object not live yet): such a send is no change visitors see,
so every receiver checks that the object is live on that revision.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, published, unpublished

from intl_pages.events import stamp_moved
from intl_pages.models import Contact
from intl_pages.stamps import pages_showing

from . import signals


def _is_live_on(instance, revision):
    return getattr(instance, "live", False) and instance.live_revision_id == getattr(
        revision, "pk", None
    )


@receiver(page_published)
def page_was_published(sender, instance, revision=None, **kwargs):
    if not _is_live_on(instance, revision):
        return
    kind = signals.PAGE_WENT_LIVE if signals.is_by_schedule() else signals.PAGE_PUBLISHED
    signals.announce(kind, [instance.pk], at=instance.last_published_at)


@receiver(page_unpublished)
def page_was_unpublished(sender, instance, **kwargs):
    kind = signals.PAGE_EXPIRED if signals.is_by_schedule() else signals.PAGE_UNPUBLISHED
    signals.announce(kind, [instance.pk])


@receiver(published, sender=Contact)
def contact_was_published(sender, instance, revision=None, **kwargs):
    if not _is_live_on(instance, revision):
        return
    pages = [page.pk for page in pages_showing(instance.pk)]
    signals.announce(
        signals.CONTACT_PUBLISHED, pages, contact_id=instance.pk, at=instance.last_published_at
    )


@receiver(unpublished, sender=Contact)
def contact_was_unpublished(sender, instance, **kwargs):
    kind = signals.CONTACT_EXPIRED if signals.is_by_schedule() else signals.CONTACT_UNPUBLISHED
    # The pages that showed it: the reference index still knows them.
    pages = [page.pk for page in pages_showing(instance.pk)]
    signals.announce(kind, pages, contact_id=instance.pk)


@receiver(stamp_moved)
def page_stamp_moved(sender, page_id, updated_at, **kwargs):
    signals.announce(signals.STAMP_MOVED, [page_id], at=updated_at)


def _live_pages_under(page_id):
    page = Page.objects.filter(pk=page_id).first()
    if page is None:  # deleted with its restriction
        return []
    under = Page.objects.descendant_of(page, inclusive=True).live()
    return list(under.values_list("pk", flat=True))


# A restriction hides a live page (and everything under it) from the public
# as an unpublish does, and lifting it shows them again as a publish does: so
# the cache drops what it holds of them and a front-end hears of it.
@receiver(post_save, sender=PageViewRestriction)
def page_made_private(sender, instance, **kwargs):
    signals.announce(signals.PAGE_UNPUBLISHED, _live_pages_under(instance.page_id))


@receiver(post_delete, sender=PageViewRestriction)
def page_made_public(sender, instance, **kwargs):
    signals.announce(signals.PAGE_PUBLISHED, _live_pages_under(instance.page_id))
