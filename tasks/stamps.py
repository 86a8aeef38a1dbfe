""" "Senast uppdaterad": the Celery side.

The rule (which pages show a contact, how a page's stamp is computed, moving
it forward) lives in `intl_pages.stamps`; these tasks run it after a
contact's change, and in a reconciling sweep, and purge the pages whose
stamp moved from the front-end cache, where one is configured.
"""

import logging

from celery import shared_task

from intl_pages import stamps

from . import frontend_cache, scheduling
from .base import PipelineTask, RetryingTask

logger = logging.getLogger(__name__)


@shared_task(name="tasks.propagate_contact_change", base=RetryingTask)
def propagate_contact_change(contact_id, changed_at_iso):
    """A contact was published, unpublished or expired: move the stamp of
    every live page that shows it. Returns the ids of the pages it moved."""
    pages = stamps.move_stamps_of_pages_showing(contact_id, scheduling.from_iso(changed_at_iso))
    if pages:
        purge_pages(pages)
        logger.info(
            "Kontaktperson %s ändrad: flyttade ”Senast uppdaterad” för sidorna %s.",
            contact_id,
            [page.pk for page in pages],
        )
    return [page.pk for page in pages]


@shared_task(name="tasks.reconcile_stamps", base=PipelineTask)
def reconcile_stamps():
    """Beat: repair the stamps a lost task left behind. Returns how many moved."""
    pages = stamps.reconcile_all_stamps()
    if pages:
        purge_pages(pages)
    return len(pages)


def purge_pages(pages):
    """Purge the pages from Wagtail's front-end cache, where one is configured
    (what else shows them, their parents and the API, is purged on the
    change's own event: tasks/frontend_cache.py)."""
    frontend_cache.purge_pages(pages)
