"""How a change becomes a change visitors see: Wagtail's signals and the
content's own, each turned into a change of the transaction's change set
(`signals.announce`; changes/changeset.py says what is done with the set).

- a page published, unpublished, gone live or expired (Wagtail's page
  signals; a revision merely scheduled is no change: `went_live`);
- a contact's change, with the pages that show it, as the content told it
  (`intl_pages.signals.contact_changed`: the pages are found once, and
  their stamps moved, there);
- a stamp moved by itself (the reconcile sweep);
- a page or a contact marked "Granskad" (`intl_pages.signals.reviewed`);
- a page made private or public again (a view restriction saved or
  deleted): gone for visitors, or back, as an unpublish or a publish;
- a page moved or its slug changed: its address and those of the pages
  under it changed (`page.moved`);
- a site or a site setting saved or deleted (`site.changed`); a setting's
  row created with its defaults the first time a page reads it is what
  visitors saw already, not a change.
"""

from django.apps import apps
from django.db.models.signals import post_delete, post_save
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from intl_pages.models import went_live
from intl_pages.signals import contact_changed, reviewed, stamp_moved

from . import signals


def page_was_published(sender, instance, revision=None, **kwargs):
    if not went_live(instance, revision):
        return
    kind = signals.PAGE_WENT_LIVE if signals.is_by_schedule() else signals.PAGE_PUBLISHED
    signals.announce(kind, [instance.pk], at=instance.last_published_at)


def page_was_unpublished(sender, instance, **kwargs):
    kind = signals.PAGE_EXPIRED if signals.is_by_schedule() else signals.PAGE_UNPUBLISHED
    signals.announce(kind, [instance.pk])


def contact_was_changed(sender, contact_id, page_ids, published, at, **kwargs):
    if published:
        kind = signals.CONTACT_PUBLISHED
    elif signals.is_by_schedule():
        kind = signals.CONTACT_EXPIRED
    else:
        kind = signals.CONTACT_UNPUBLISHED
    signals.announce(kind, page_ids, contact_id=contact_id, at=at)


def page_stamp_moved(sender, page_id, updated_at, **kwargs):
    signals.announce(signals.STAMP_MOVED, [page_id], at=updated_at)


def object_reviewed(sender, page_ids, contact_id, at, **kwargs):
    kind = signals.CONTACT_REVIEWED if contact_id else signals.PAGE_REVIEWED
    signals.announce(kind, page_ids, contact_id=contact_id, at=at)


def _live_pages_under(page_id):
    page = Page.objects.filter(pk=page_id).first()
    if page is None:  # deleted with its restriction
        return []
    under = Page.objects.descendant_of(page, inclusive=True).live()
    return list(under.values_list("pk", flat=True))


def page_made_private(sender, instance, **kwargs):
    signals.announce(signals.PAGE_UNPUBLISHED, _live_pages_under(instance.page_id))


def page_made_public(sender, instance, **kwargs):
    signals.announce(signals.PAGE_PUBLISHED, _live_pages_under(instance.page_id))


def page_address_changed(sender, instance, **kwargs):
    # Wagtail sends `page_slug_changed` once the slug's change has committed,
    # `post_page_move` inside the move's transaction.
    page_ids = _live_pages_under(instance.pk)
    if page_ids:
        signals.announce(signals.PAGE_MOVED, page_ids)


def site_changed(sender, created=False, **kwargs):
    if created and issubclass(sender, (BaseSiteSetting, BaseGenericSetting)):
        return  # made with its defaults when first read: nothing changed
    signals.announce(signals.SITE_CHANGED)


def register_signal_handlers():
    page_published.connect(page_was_published)
    page_unpublished.connect(page_was_unpublished)
    contact_changed.connect(contact_was_changed)
    stamp_moved.connect(page_stamp_moved)
    reviewed.connect(object_reviewed)
    post_save.connect(page_made_private, sender=PageViewRestriction)
    post_delete.connect(page_made_public, sender=PageViewRestriction)
    post_page_move.connect(page_address_changed)
    page_slug_changed.connect(page_address_changed)
    # Each site and setting model by name, not every model's saves.
    for model in apps.get_models():
        if issubclass(model, (Site, BaseSiteSetting, BaseGenericSetting)):
            post_save.connect(site_changed, sender=model)
            post_delete.connect(site_changed, sender=model)
