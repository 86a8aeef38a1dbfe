""" "Senast uppdaterad": the Celery side.

The rule (which pages show a contact, how a page's stamp is computed, moving
it forward) lives in `intl_pages.stamps`, and a page's or a contact's change
moves the stamps in its own transaction (intl_pages/signal_handlers.py).
Here only the reconciling sweep runs, for what was left behind (a stamp
moved back by hand, a change from before the stamps moved in the change's
transaction). Its moves are one change set (`page.stamp_moved`), so the
caches are purged once for all of them.
"""

import logging

from celery import shared_task
from django.db import transaction

from intl_pages import stamps

from .base import PipelineTask

logger = logging.getLogger(__name__)


@shared_task(name="tasks.reconcile_stamps", base=PipelineTask)
def reconcile_stamps():
    """Beat: repair the stamps left behind. Returns how many moved."""
    with transaction.atomic():
        pages = stamps.reconcile_all_stamps()
    if pages:
        logger.info("Flyttade ”Senast uppdaterad” för sidorna %s.", [page.pk for page in pages])
    return len(pages)
