"""A release as visitors see it: behind the page cache's fence
(tasks/releases.py's PageCacheFence, pagecache/fence.py). The fence is up
while the transaction commits and down with a new generation after it; with
the page cache's Redis away there is no commit; and, polled by two web
processes across the instant, no visitor sees an old page after a new one,
nor half of the release."""

import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from intl_pages.models import Contact, InternationalPage
from pagecache import fence, store
from releases import actions
from releases.models import ReleaseState
from tasks.releases import PageCacheFence
from tests.builders import contacts_block, make_contact, make_page, twin_town
from tests.pagecache.conftest import free_port
from tests.pagecache.support import WebServer, cache, shell

from .support import draft_of, draft_of_contact, fetch, make_admin, scheduled_release

pytestmark = pytest.mark.django_db(transaction=True)


def make_content():
    kim = make_contact(name="Kim Exempelsson", phone="0510-77 00 00")
    return make_page(title="Vänorter", body=[twin_town(city="Kecskemét"), contacts_block(kim)])


@pytest.fixture
def page(pagecache_on, transactional_db):
    return make_content()


def kim():
    return Contact.objects.get(name="Kim Exempelsson")


def redis_client():
    return redis.Redis.from_url(settings.PAGECACHE_REDIS_URL)


def release_of_page_and_contact(page, at=None):
    admin = make_admin()
    draft_of(page, title="Vänorter NY")
    draft_of_contact(kim(), phone="0510-11 11 11")
    return scheduled_release(admin, InternationalPage.objects.get(pk=page.pk), kim(), at=at)


def test_the_release_commits_behind_the_fence_and_lifts_it_with_a_new_generation(page):
    cache(page.url)
    release = release_of_page_and_contact(page)
    seen = {}

    class Watched(PageCacheFence):
        @contextmanager
        def up(self, paths):
            with super().up(paths) as guard:  # everything written, not committed
                client = redis_client()
                fence_id = client.get(store.FENCE_KEY)
                seen["paths"] = {
                    m.decode()
                    for m in client.smembers(store.FENCE_PATHS_PREFIX + fence_id.decode())
                }
                seen["generation"] = client.get(store.GENERATION_KEY)
                yield guard

    outcome = actions.apply_release(release.pk, actions.as_iso(release.go_live_at), fence=Watched())
    assert outcome.status == actions.PUBLISHED
    assert {page.url, "/", "/api/v3/*"} <= seen["paths"]
    client = redis_client()
    assert client.get(store.FENCE_KEY) is None, "the fence is down after the commit"
    assert client.get(store.GENERATION_KEY) != seen["generation"]


def test_with_the_page_cache_away_the_release_is_not_committed(private_redis, transactional_db):
    page = make_content()
    release = release_of_page_and_contact(page)
    private_redis.kill()
    with pytest.raises(fence.FenceUnavailable):
        actions.apply_release(
            release.pk, actions.as_iso(release.go_live_at), fence=PageCacheFence()
        )
    assert fetch(release).state == ReleaseState.SCHEDULED, "tried again by the task"
    assert InternationalPage.objects.get(pk=page.pk).title != "Vänorter NY"


# Each web process trusts the generation for a second (50 ms in production):
# without the fence one would serve the old page for up to a second after
# the other served the new one.
TRUST = {"PAGECACHE_GENERATION_CHECK_MS": "1000"}

APPLY = """
from releases import actions
from tasks.releases import PageCacheFence
print(actions.apply_release({release_id}, "{at}", fence=PageCacheFence()).status)
"""


def classify(body):
    text = body.decode()
    title_new, phone_new = "Vänorter NY" in text, "0510-11 11 11" in text
    if title_new and phone_new:
        return "new"
    if not title_new and not phone_new:
        return "old"
    return "mixed"


def test_polled_across_the_instant_no_visitor_sees_old_after_new(page, tmp_path):
    release = release_of_page_and_contact(page, at=timezone.now() + timedelta(seconds=6))
    servers = [WebServer(free_port(), tmp_path / f"web{n}.log", **TRUST).start() for n in range(2)]
    seen = []
    stop = threading.Event()

    def poll(server):
        while not stop.is_set():
            started = time.monotonic()
            status, headers, body = server.get(page.url)
            if status == 200:
                seen.append((started, time.monotonic(), classify(body), headers["X-Page-Cache"]))

    threads = [threading.Thread(target=poll, args=(s,)) for s in servers for _ in range(2)]
    try:
        for server in servers:
            server.get(page.url), server.get(page.url)
        for thread in threads:
            thread.start()
        result = shell(
            APPLY.format(release_id=release.pk, at=actions.as_iso(release.go_live_at)), **TRUST
        )
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        for server in servers:
            server.stop()

    assert result.stdout.strip().endswith(actions.PUBLISHED), result.stdout + result.stderr
    assert {s[2] for s in seen} >= {"old", "new"}, "polled before and after"
    assert {s[3] for s in seen if s[2] == "old"} >= {"hit"}, "the old page came from the cache"
    assert not [s for s in seen if s[2] == "mixed"], "a visitor saw half of the release"
    first_new_served = min(s[1] for s in seen if s[2] == "new")
    old_after_new = [s for s in seen if s[0] > first_new_served and s[2] == "old"]
    assert not old_after_new, f"{len(old_after_new)} old pages after a new one"
    assert "fenced" in {s[3] for s in seen}, "the release's paths were behind the fence"
