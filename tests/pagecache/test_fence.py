"""The fence a release commits behind (pagecache/fence.py): the paths it
covers are neither served from the cache nor stored while it is up; it comes
down with a new generation; no commit when it is not up; and, polled by
other processes across a commit behind it, no visitor sees an old page after
a new one, nor half of each."""

import threading
import time

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from intl_pages.models import Contact, InternationalPage
from pagecache import fence, store
from pagecache.middleware import in_one_snapshot
from tests.builders import contacts_block, make_contact, make_page, twin_town

from .conftest import free_port
from .support import WebServer, cache, shell, visit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(pagecache_on, transactional_db):
    kim = make_contact(name="Kim Exempelsson", phone="0510-77 00 00")
    return make_page(title="Vänorter", body=[twin_town(city="Kecskemét"), contacts_block(kim)])


def redis_client():
    return redis.Redis.from_url(settings.PAGECACHE_REDIS_URL)


def generation():
    client = redis.Redis.from_url(settings.PAGECACHE_REDIS_URL)
    try:
        return client.get(store.GENERATION_KEY)
    finally:
        client.close()


def test_fenced_paths_are_rendered_and_not_kept_the_rest_is_served(page):
    cache(page.url), cache("/")
    up = fence.raise_fence({page.url})
    try:
        for _ in range(2):
            response = visit(page.url)
            assert response.status_code == 200
            assert response["X-Page-Cache"] == "fenced"
        assert visit("/")["X-Page-Cache"] == "hit", "outside the fence, the cache serves"
    finally:
        before = generation()
        up.lift(purge=True)
    assert generation() != before, "the fence comes down with a new generation"
    assert visit(page.url)["X-Page-Cache"] == "miss"
    assert visit(page.url)["X-Page-Cache"] == "hit"


def test_a_prefix_fences_the_whole_api(page):
    url = f"/api/v3/pages/{page.pk}/"
    cache(url)
    up = fence.raise_fence({"/api/v3/*"})
    try:
        assert visit(url)["X-Page-Cache"] == "fenced"
        assert visit("/api/v3/pages/")["X-Page-Cache"] == "fenced"
        assert visit(page.url)["X-Page-Cache"] in ("hit", "miss")
    finally:
        up.lift(purge=False)
    assert visit(url)["X-Page-Cache"] == "hit", "lifted unchanged: the old entries stand"


def test_pages_and_api_say_no_cache_so_no_browser_guesses_a_lifetime(page):
    for url in (page.url, f"/api/v3/pages/{page.pk}/"):
        for _ in range(2):  # a miss, then a hit
            response = visit(url)
            assert response["Cache-Control"] == "no-cache", url
            assert response.has_header("ETag") and response.has_header("Last-Modified")


def test_no_commit_when_the_fence_is_gone(page):
    with pytest.raises(fence.FenceUnavailable):
        with fence.fenced({page.url}) as up:
            redis.Redis.from_url(settings.PAGECACHE_REDIS_URL).delete(store.FENCE_KEY)
            up.confirm()


def test_a_change_that_fails_lifts_the_fence_without_a_purge(page):
    cache(page.url)
    before = generation()
    with pytest.raises(RuntimeError, match="en ändring som misslyckas"):
        with fence.fenced({page.url}):
            raise RuntimeError("en ändring som misslyckas")
    assert generation() == before
    client = redis.Redis.from_url(settings.PAGECACHE_REDIS_URL)
    assert client.get(store.FENCE_KEY) is None
    time.sleep(fence.trust_seconds())
    assert visit(page.url)["X-Page-Cache"] == "hit"


def test_the_fence_comes_down_first_after_the_commit_and_is_its_purge(page, monkeypatch):
    client = redis_client()
    seen = []
    purges = []
    monkeypatch.setattr(store, "purge", lambda: purges.append(1))
    before = generation()
    with fence.fenced({page.url}) as up:
        with transaction.atomic():
            # Work a commit sets off, registered before the fence's lift.
            transaction.on_commit(lambda: seen.append(client.get(store.FENCE_KEY)))
            page = InternationalPage.objects.get(pk=page.pk)
            page.title = "Vänorter NY"
            page.save_revision().publish()  # a change set, purged at the commit
            up.confirm()
    assert seen == [None], "the fence was down before the work registered earlier"
    assert generation() != before
    assert purges == [], "the fence's new generation was the commit's purge"


def test_one_fence_at_a_time(page):
    first = fence.raise_fence({page.url})
    try:
        with pytest.raises(fence.FenceUnavailable, match="annat staket"):
            fence.raise_fence({"/"}, wait_seconds=0.1)
    finally:
        first.lift(purge=False)
    fence.raise_fence({"/"}, wait_seconds=0.1).lift(purge=False)


def test_no_fence_no_commit_when_redis_is_down(private_redis, transactional_db):
    private_redis.kill()
    with pytest.raises(fence.FenceUnavailable):
        fence.raise_fence({"/"})


def test_paths_of_pages_are_the_page_its_parent_and_the_api(page):
    paths = fence.paths_of_pages([page])
    assert {page.url, "/", "/api/v3/*"} <= paths


def test_a_render_reads_one_snapshot_while_another_connection_commits(page):
    kim = Contact.objects.get(name="Kim Exempelsson")
    seen = {}

    def commit_elsewhere():
        try:
            InternationalPage.objects.filter(pk=page.pk).update(title="Vänorter NY")
            Contact.objects.filter(pk=kim.pk).update(phone="0510-11 11 11")
        finally:
            connection.close()

    def render(request):
        seen["title"] = InternationalPage.objects.get(pk=page.pk).title
        other = threading.Thread(target=commit_elsewhere)
        other.start()
        other.join()
        seen["phone"] = Contact.objects.get(pk=kim.pk).phone
        return HttpResponse()

    in_one_snapshot(render, RequestFactory().get(page.url))
    assert seen == {"title": "Vänorter", "phone": "0510-77 00 00"}, "half of a commit"
    assert Contact.objects.get(pk=kim.pk).phone == "0510-11 11 11"


# A release's commit, polled from other processes

PUBLISH_BEHIND_THE_FENCE = """
from django.db import transaction
from intl_pages.models import Contact, InternationalPage
from pagecache import fence
page = InternationalPage.objects.get(pk={page_id})
kim = Contact.objects.get(pk={contact_id})
with fence.fenced(fence.paths_of_pages([page])) as up:
    with transaction.atomic():
        page.title = "Vänorter NY"
        page.save_revision().publish()
        # A render between these two writes, outside a snapshot, would show
        # the new title beside the old number.
        kim.phone = "0510-11 11 11"
        kim.save_revision().publish()
        up.confirm()
"""


def classify(body):
    """'old' or 'new' (both of the change's parts), or 'mixed'."""
    text = body.decode()
    title_new = "Vänorter NY" in text
    phone_new = "0510-11 11 11" in text
    if title_new and phone_new:
        return "new"
    if not title_new and not phone_new:
        return "old"
    return "mixed"


# Each process trusts the generation for a second (it is 50 ms in
# production): without the fence, one would serve the old page for up to a
# second after the other served the new one.
TRUST = {"PAGECACHE_GENERATION_CHECK_MS": "1000"}


def test_polled_across_the_commit_no_old_after_new(page, tmp_path):
    servers = [WebServer(free_port(), tmp_path / f"web{n}.log", **TRUST).start() for n in range(2)]
    seen = []  # (started, ended, what)
    stop = threading.Event()

    def poll(server):
        while not stop.is_set():
            started = time.monotonic()
            status, _headers, body = server.get(page.url)
            ended = time.monotonic()
            if status == 200:
                seen.append((started, ended, classify(body)))

    threads = [threading.Thread(target=poll, args=(s,)) for s in servers for _ in range(2)]
    try:
        for server in servers:  # cached in both before the change
            server.get(page.url), server.get(page.url)
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        kim = Contact.objects.get(name="Kim Exempelsson")
        shell(PUBLISH_BEHIND_THE_FENCE.format(page_id=page.pk, contact_id=kim.pk), **TRUST)
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        for server in servers:
            server.stop()

    assert {what for _, _, what in seen} >= {"old", "new"}, "polled before and after"
    assert not [s for s in seen if s[2] == "mixed"], "a render showed half of the change"
    first_new_served = min(ended for _, ended, what in seen if what == "new")
    old_after_new = [s for s in seen if s[0] > first_new_served and s[2] == "old"]
    assert not old_after_new, f"{len(old_after_new)} old responses after a new one"
    page = InternationalPage.objects.get(pk=page.pk)
    assert page.title == "Vänorter NY"
    assert Contact.objects.get(pk=kim.pk).phone == "0510-11 11 11"
