"""Purge the cache when what visitors see changes: once per committed change
set (changes/changeset.py), in the process that made the change, as its
transaction commits: the web process for an editor, the worker for a
scheduled go-live or expiry, a shell for a script. No task is queued, so no
worker has to run for a change to be served fresh.

The set names its pages, but the purge is of the whole cache
(pagecache/store.py says why): the pages themselves, their API responses,
the API's listings (pages, twin towns, contacts) and every page that lists
them. A page moved or its slug changed, a site or a site setting saved, are
changes of the set like any other (`page.moved`, `site.changed`).
"""

from django.core.signals import setting_changed

from changes.changeset import changes_committed

from . import fence, store


def purge_on_commit(sender, changeset, **kwargs):
    # Every process of a site runs with the same PAGECACHE_ENABLED. A failing
    # purge (it does not fail: Redis down is kept for later) never breaks
    # the change: the set sends to its listeners robustly.
    # A release's fence came down with this commit, with a new generation:
    # that is the purge (a second would throw away what was cached since).
    if store.get_cache().config.enabled and not fence.purged_by_a_fence():
        store.purge()


def settings_changed(sender, setting, **kwargs):
    # A test's override_settings: the process's cache object is built anew.
    if setting.startswith("PAGECACHE_") or setting in ("CACHE_REDIS_URL", "CORS_ALLOWED_ORIGINS"):
        store.reset()


def register_signal_handlers():
    changes_committed.connect(purge_on_commit)
    setting_changed.connect(settings_changed)
