"""Redis down: the site renders every request uncached (200, never a 500);
a change made meanwhile, by this process or another, is served fresh once
Redis is back, even though Redis comes back holding the old entries under
the old generation (the private server keeps its data across the kill)."""

import time

import pytest
from django.test import override_settings

from intl_pages.models import InternationalPage
from pagecache.models import PendingPurge
from tests.builders import make_page

from .support import cache, shell, visit

pytestmark = pytest.mark.django_db(transaction=True)
# Every request asks Redis, so the first one after the kill finds it down.
SHORT = {
    "PAGECACHE_RETRY_SECONDS": 0.2,
    "PAGECACHE_PENDING_CHECK_SECONDS": 0.2,
    "PAGECACHE_GENERATION_CHECK_SECONDS": 0,
}


@pytest.fixture
def page(private_redis, transactional_db):
    with override_settings(**SHORT):
        yield make_page(title="Vänorter")


def wait_short():
    time.sleep(0.3)


def rendered(url, *texts):
    response = visit(url)
    assert response.status_code == 200
    body = response.content.decode()
    for text in texts:
        assert text in body, text
    return response


def test_with_redis_down_the_site_renders_and_a_change_is_fresh_when_it_is_back(
    page, private_redis
):
    cache(page.url)
    private_redis.kill()

    response = rendered(page.url, "Vänorter")
    assert "X-Page-Cache" not in response  # rendered, not kept
    assert rendered("/")

    page = InternationalPage.objects.get(pk=page.pk)
    page.title = "Vänorter medan Redis låg nere"
    page.save_revision().publish()  # the purge cannot reach Redis
    assert PendingPurge.objects.exists()
    rendered(page.url, "Vänorter medan Redis låg nere")

    private_redis.start()
    wait_short()
    response = rendered(page.url, "Vänorter medan Redis låg nere")
    assert response["X-Page-Cache"] == "miss"
    assert cache(page.url).content == response.content
    assert PendingPurge.objects.count() == 0


def test_a_change_by_another_process_while_redis_was_down_is_fresh_in_one_that_saw_nothing(
    page, private_redis
):
    # This process holds the page in its memory and in Redis, and makes no
    # request while Redis is down: it never sees the outage.
    cache(page.url)
    private_redis.kill()
    shell(
        "from intl_pages.models import InternationalPage\n"
        f"page = InternationalPage.objects.get(pk={page.pk})\n"
        "page.title = 'Vänorter från ett skript'\n"
        "page.save_revision().publish()\n",
        PAGECACHE_REDIS_URL=private_redis.url,
    )
    assert PendingPurge.objects.exists()
    private_redis.start()
    assert private_redis.client().get("pagecache:generation"), "Redis kept its data"
    wait_short()
    rendered(page.url, "Vänorter från ett skript")
    assert PendingPurge.objects.count() == 0


def test_a_redis_that_comes_back_empty_serves_nothing_old(page, private_redis, tmp_path):
    cache(page.url)
    private_redis.kill()
    for name in ("appendonlydir", "appendonly.aof"):
        target = tmp_path / name
        if target.is_dir():
            for child in target.iterdir():
                child.unlink()
        elif target.exists():
            target.unlink()
    InternationalPage.objects.filter(pk=page.pk).update(title="Ändrad utan signal")
    private_redis.start()
    wait_short()
    rendered(page.url, "Ändrad utan signal")
