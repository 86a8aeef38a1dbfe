"""Keeping each page's "Senast uppdaterad" true.

The stamp is the last time anything the visitor sees on the page was
published: the page itself, or a contact it shows. A contact's publish,
unpublish or expiry moves the stamps of the live pages that show it, found
through Wagtail's reference index; a page's own publish recomputes its stamp
from itself and its contacts (the index may lag behind a publish). Stamps
only ever move forward, and no page revision is created.
"""

import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import Page, ReferenceIndex

from intl_pages.models import Contact, InternationalPage, move_last_updated
from intl_pages.stamps import recompute_last_updated

logger = logging.getLogger(__name__)


def pages_showing(contact_id):
    """The live international pages whose body refers to the contact."""
    contact_type = ContentType.objects.get_for_model(Contact)
    page_ids = (
        ReferenceIndex.objects.filter(
            base_content_type=ContentType.objects.get_for_model(Page),
            to_content_type=contact_type,
            to_object_id=str(contact_id),
        )
        .values_list("object_id", flat=True)
        .distinct()
    )
    return InternationalPage.objects.live().filter(pk__in=[int(pk) for pk in page_ids])


def propagate_contact_change(contact_id, changed_at=None):
    """Move the stamp of every live page that shows the contact. Returns the
    ids of the pages whose stamp moved."""
    changed_at = changed_at or timezone.now()
    pages = [page for page in pages_showing(contact_id) if move_last_updated(page.pk, changed_at)]
    moved = [page.pk for page in pages]
    if pages:
        purge_pages(pages)
        logger.info(
            "Kontaktperson %s ändrad: flyttade ”Senast uppdaterad” för sidorna %s.",
            contact_id,
            moved,
        )
    return moved


def _recompute(page):
    moved = recompute_last_updated(page)
    if moved:
        purge_pages([page])
    return moved


def recompute_page_stamp(page_id):
    """The page's stamp from its own last publish and its contacts' changes;
    purges the page where the stamp moved. Returns whether it moved."""
    page = InternationalPage.objects.live().filter(pk=page_id).first()
    return page is not None and _recompute(page)


def reconcile_all_stamps():
    """Recompute every live page's stamp: the sweep that repairs what a lost
    task (Redis down when an editor published) left undone. Returns the ids
    of the pages whose stamp moved."""
    return [page.pk for page in InternationalPage.objects.live() if _recompute(page)]


def purge_pages(pages):
    """Purge the pages from Wagtail's front-end cache, where one is configured."""
    if not settings.WAGTAILFRONTENDCACHE:
        return
    from wagtail.contrib.frontend_cache.utils import PurgeBatch

    batch = PurgeBatch()
    batch.add_pages(pages)
    batch.purge()
