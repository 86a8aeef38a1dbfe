"""Releases: the Celery side.

Thin shells over `releases.actions` and `releases.notify`. A release's task
is queued `RELEASE_PREPARE_SECONDS` before its instant (by the schedule
sweep, or on commit when it is scheduled soon), prepares, waits for the
instant and applies the release in one transaction whose claim makes a
duplicate, stale or early task do nothing. A task cut off by a killed
worker leaves the release scheduled (the claim rolled back with the rest);
the sweep queues it again once it is overdue.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone
from wagtail.models import Page

from pagecache import fence as pagecache_fence
from releases import actions, notify
from releases.models import ReleaseItem

from . import scheduling
from .base import RetryingTask

logger = logging.getLogger(__name__)


class PageCacheFence:
    """The page cache's fence (pagecache/fence.py) as a release uses it: the
    paths its pages show on found before the instant, the fence up from the
    generation's trust before it, confirmed last inside the transaction."""

    @property
    def lead_seconds(self):
        return pagecache_fence.trust_seconds() + 0.05

    def prepare(self, page_ids):
        return pagecache_fence.paths_of_pages(Page.objects.filter(pk__in=page_ids))

    def up(self, paths):
        return pagecache_fence.fenced(paths)


def queue_release(release_id, go_live_at):
    """One message for the release, to start as long before its instant as
    writing its items takes (`actions.lead_seconds`)."""
    items = ReleaseItem.objects.filter(release_id=release_id).count()
    lead = timedelta(seconds=actions.lead_seconds(items))
    eta = max(go_live_at - lead, timezone.now())
    apply_release.apply_async(args=[release_id, scheduling.as_iso(go_live_at)], eta=eta)


def plan_release(release_id):
    """Queue a release just scheduled, when the next sweep would be too late."""
    return scheduling.plan_release(release_id, send_releases=queue_release)


# Its time limits, longer than the default, are in CELERY_TASK_ANNOTATIONS.
@shared_task(name="tasks.apply_release", bind=True, base=RetryingTask)
def apply_release(self, release_id, go_live_at_iso):
    outcome = actions.apply_release(release_id, go_live_at_iso, fence=PageCacheFence())
    if outcome.status == actions.EARLY:
        raise self.retry(countdown=outcome.wait_seconds, max_retries=None)
    # Also after a stale run: a worker killed between the failure and the
    # e-mail leaves it to the run that comes again.
    notify.tell_scheduler_of_failure(release_id)
    return outcome.status
