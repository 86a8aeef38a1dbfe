"""Purge the cache when what visitors see changes, in the process that made
the change, as its transaction commits: the web process for an editor, the
worker for a scheduled go-live or expiry, a shell for a script. No task is
queued, so no worker has to run for a change to be served fresh.

`changes.signals.visible_change` names the pages, but the purge is of the
whole cache (pagecache/store.py says why): the pages themselves, their API
responses, the API's listings (pages, twin towns, contacts) and every page
that lists them. Changes that no event names purge the same way: a page
moved or its slug changed (its old URL must stop answering), a site or a
site setting saved (the feedback widget reads one).
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.models import Site
from wagtail.signals import page_slug_changed, post_page_move

from changes.signals import visible_change

from . import store


class _Purge:
    """The one purge of a transaction: a publish sends several events (the
    page, its stamp)."""

    ran = False

    def __call__(self):
        self.ran = True
        store.purge()


def purge_on_commit():
    # Every process of a site runs with the same PAGECACHE_ENABLED.
    if not store.get_cache().config.enabled:
        return
    # Django drops a callback with the savepoint that rolls back, so one
    # still registered will run (the pattern, and the pinned internals, of
    # tasks/backends.py).
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        isinstance(func, _Purge) and not func.ran for _, func, _ in connection.run_on_commit
    ):
        return
    # robust: a failing purge (it does not fail: Redis down is kept for
    # later) must never undo or break the change itself.
    transaction.on_commit(_Purge(), robust=True)


@receiver(visible_change)
def visible_change_purges(sender, kind, page_ids, **kwargs):
    purge_on_commit()


@receiver(post_page_move)
def page_moved(sender, **kwargs):
    purge_on_commit()


@receiver(page_slug_changed)
def slug_changed(sender, **kwargs):
    purge_on_commit()


@receiver(post_save)
@receiver(post_delete)
def site_or_setting_changed(sender, created=False, **kwargs):
    if issubclass(sender, Site):
        purge_on_commit()
    # A setting's row is created with its defaults the first time a page
    # reads it: what visitors saw already, not a change.
    elif issubclass(sender, (BaseSiteSetting, BaseGenericSetting)) and not created:
        purge_on_commit()
