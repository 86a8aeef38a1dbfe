"""Wagtail's front-end cache (a CDN or Varnish: WAGTAILFRONTENDCACHE), purged
on every change visitors see, through Celery.

Wagtail itself purges only a page's own URL on the page's own publish. For
each committed change set (changes/changeset.py) this queues one thin task
(kept in the database while the broker is down, tasks/outbox.py) that
purges the set's pages, their parents and their sites' home pages
(which list them), the pages' API details and the API's listings (pages,
twin towns, contacts). The project's own cache (pagecache) is purged by the
committing process itself, with no task; only this one goes through Celery,
and only where a front-end cache is configured.

A URL purge reaches the URL as asked for: a front-end cache that keeps API
listings per query string (`?country=…`) needs a ban by prefix in its own
configuration (Varnish: `ban req.url ~ ^/api/v3/`).
"""

from celery import shared_task
from django.conf import settings

from .base import RetryingTask
from .outbox import send_or_keep

API_LISTINGS = ("/api/v3/pages/", "/api/v3/twin-towns/", "/api/v3/contacts/")


def queue_purge(page_ids):
    """Queue the one purge task of a committed change set, for all its pages
    (tasks/signal_handlers.py calls it on `changes_committed`)."""
    if settings.WAGTAILFRONTENDCACHE:
        send_or_keep(purge_frontend_cache, [list(page_ids)])


@shared_task(name="tasks.purge_frontend_cache", base=RetryingTask)
def purge_frontend_cache(page_ids):
    """Purge what shows the pages from the front-end cache. Returns the URLs."""
    urls = frontend_urls(page_ids)
    purge_urls(urls)
    return urls


def frontend_urls(page_ids):
    """The absolute URLs that show the pages `page_ids`: each page, its
    parent, its site's home page, its API detail, the API's listings."""
    from wagtail.models import Page, Site

    urls, roots = set(), set()
    for page in Page.objects.filter(pk__in=page_ids):
        _, root_url, page_path = page.get_url_parts() or (None, None, None)
        if root_url is None:
            continue  # under no site: nobody is served it
        roots.add(root_url)
        urls.add(root_url + page_path)
        urls.add(f"{root_url}/api/v3/pages/{page.pk}/")
        parent = page.get_parent()
        parts = parent.get_url_parts() if parent is not None else None
        if parts:
            urls.add(parts[1] + parts[2])
    if not roots:
        # A contact that no page shows any more: the listings still do.
        site = Site.objects.filter(is_default_site=True).first()
        if site is not None:
            roots.add(site.root_url)
    for root_url in roots:
        urls.add(root_url + "/")
        urls.update(root_url + path for path in API_LISTINGS)
    return sorted(urls)


def purge_urls(urls):
    if not settings.WAGTAILFRONTENDCACHE or not urls:
        return
    from wagtail.contrib.frontend_cache.utils import PurgeBatch  # an app only when configured

    batch = PurgeBatch()
    batch.add_urls(urls)
    batch.purge()
