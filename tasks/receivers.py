"""Turn domain events into queued work, after the transaction commits.

Receivers only queue; the sweep decides. Wagtail sends `published` also when
an object that is not live yet is merely scheduled, and sends nothing when a
live object's publish is rescheduled, so scheduling is read from the
revision row itself (`approved_go_live_at`), and every receiver checks
`live` and `live_revision`. When Redis is down the editor's request still
succeeds: work that cannot be queued waits in the database (tasks/outbox.py)
or is found again by the schedule sweep.
"""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from wagtail.models import Revision
from wagtail.signals import published, unpublished

from changes.signals import expiry_changed
from intl_pages.models import Contact
from releases.recording import current_instant
from releases.signals import release_scheduled

from . import publishing, releases, scheduling
from .outbox import send_or_keep
from .stamps import propagate_contact_change


def after_commit(func, *args):
    def run_after_commit():
        func(*args)

    # A named function, not a partial: Django names it when it logs a failure.
    run_after_commit.__qualname__ = f"after_commit({getattr(func, '__qualname__', func)})"
    transaction.on_commit(run_after_commit, robust=True)


@receiver(post_save, sender=Revision)
def revision_scheduled(sender, instance, update_fields=None, **kwargs):
    # Wagtail writes `approved_go_live_at` when an editor schedules, or
    # reschedules, a revision of a page or a snippet.
    if instance.approved_go_live_at is not None:
        after_commit(publishing.plan_revision, instance.pk)


# Wagtail sends `published` for pages too (besides `page_published`), with
# the specific page: one receiver, so the work is queued once.
@receiver(published)
def object_published(sender, instance, revision=None, **kwargs):
    if not getattr(instance, "live", False) or instance.live_revision_id != getattr(
        revision, "pk", None
    ):
        return  # scheduled, not published
    if isinstance(instance, Contact):
        changed_at = scheduling.as_iso(instance.last_published_at or timezone.now())
        after_commit(send_or_keep, propagate_contact_change, [instance.pk, changed_at])
    if instance.expire_at:
        after_commit(publishing.plan_expiry, instance)


@receiver(expiry_changed)
def expiry_was_changed(sender, instance, **kwargs):
    if instance.expire_at:
        after_commit(publishing.plan_expiry, instance)


@receiver(unpublished, sender=Contact)
def contact_unpublished(sender, instance, **kwargs):
    # In a release: at its instant, as everything else the release changes.
    changed_at = scheduling.as_iso(current_instant() or timezone.now())
    after_commit(send_or_keep, propagate_contact_change, [instance.pk, changed_at])


@receiver(release_scheduled)
def release_was_scheduled(sender, release, **kwargs):
    after_commit(releases.plan_release, release.pk)
