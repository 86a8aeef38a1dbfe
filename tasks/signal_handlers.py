"""Turn domain events into queued work, after the transaction commits: one
place to see what the pipeline does on each event.

- a revision scheduled (or rescheduled): its exact-time task, if due before
  the sweep would see it (`publishing.queue_revision_if_due`);
- an object published with an expiry, or its expiry set through the API:
  the expiry's exact-time task, likewise (`publishing.queue_expiry_if_due`);
- a change set committed (changes/changeset.py): one front-end cache purge
  task for all its pages, where a front-end cache is configured
  (`frontend_cache.queue_purge`);
- webhook deliveries due: their delivery tasks (`webhooks.deliver_webhook`);
- a release scheduled: its task, if due before the sweep would see it
  (`releases.plan_release`).

Receivers only queue; the sweep decides. Wagtail sends `published` also when
an object that is not live yet is merely scheduled, and sends nothing when a
live object's publish is rescheduled, so scheduling is read from the
revision row itself (`approved_go_live_at`), and a publish counts only when
the object went live on it (`went_live`). When Redis is down the editor's
request still succeeds: work that cannot be queued waits in the database
(tasks/outbox.py) or is found again by the schedule sweep.

"Senast uppdaterad" needs no task: a page's or a contact's change moves the
stamps in its own transaction (intl_pages/signal_handlers.py).
"""

from django.db import transaction
from django.db.models.signals import post_save
from wagtail.models import Revision
from wagtail.signals import published

from changes.changeset import changes_committed
from changes.signals import expiry_changed
from intl_pages.models import went_live
from releases.signals import release_scheduled
from webhooks.signals import deliveries_due

from . import frontend_cache, publishing, releases, webhooks
from .outbox import send_or_keep


def after_commit(func, *args):
    def run_after_commit():
        func(*args)

    # A named function, not a partial: Django names it when it logs a failure.
    run_after_commit.__qualname__ = f"after_commit({getattr(func, '__qualname__', func)})"
    transaction.on_commit(run_after_commit, robust=True)


def revision_scheduled(sender, instance, update_fields=None, **kwargs):
    # Wagtail writes `approved_go_live_at` when an editor schedules, or
    # reschedules, a revision of a page or a snippet.
    if instance.approved_go_live_at is not None:
        after_commit(publishing.queue_revision_if_due, instance.pk)


# Wagtail sends `published` for pages too (besides `page_published`), with
# the specific page: one receiver, so the work is queued once.
def object_published(sender, instance, revision=None, **kwargs):
    if went_live(instance, revision) and instance.expire_at:
        after_commit(publishing.queue_expiry_if_due, instance)


def expiry_was_changed(sender, instance, **kwargs):
    if instance.expire_at:
        after_commit(publishing.queue_expiry_if_due, instance)


def changes_were_committed(sender, changeset, **kwargs):
    # Already after the commit.
    frontend_cache.queue_purge(changeset.page_ids)


def queue_deliveries(sender, delivery_ids, **kwargs):
    for delivery_id in delivery_ids:
        after_commit(send_or_keep, webhooks.deliver_webhook, [delivery_id])


def release_was_scheduled(sender, release, **kwargs):
    after_commit(releases.plan_release, release.pk)


def register_signal_handlers():
    post_save.connect(revision_scheduled, sender=Revision)
    published.connect(object_published)
    expiry_changed.connect(expiry_was_changed)
    changes_committed.connect(changes_were_committed)
    deliveries_due.connect(queue_deliveries)
    release_scheduled.connect(release_was_scheduled)
