"""Fixtures of the pipeline tests: real Redis, the real database, a real
Celery worker (a thread of this process, or a process that can be killed).

The broker and the cache are the Redis databases the test settings name
(REDIS_URL, default redis://127.0.0.1:6379/10, the cache on the next one);
every test that uses them empties both when it starts and when it ends, so
that tasks left behind by other tests never reach its worker.
"""

import pytest
import redis
from celery import signals as celery_signals
from django.conf import settings
from wagtail.models import Collection, Locale, Page

from intl_pages.demo import load_demo
from intl_pages.models import InternationalPage

from .support import TaskRun, TaskRuns, WorkerProcess, in_process_worker


@pytest.fixture
def broker():
    """The broker's Redis database, emptied before and after the test."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def cache_redis():
    """The cache's Redis database (queue-once marks, the last sweep), emptied
    before and after the test."""
    client = redis.Redis.from_url(settings.CACHE_REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def demo_tx(transactional_db, broker, cache_redis):
    """The demo content, committed, so that a worker sees it.

    Loading it queues the stamp tasks of its publishes; they would change
    nothing (load_demo stamps the page itself) and are dropped, so that every
    test starts with an empty queue.
    """
    ensure_wagtail_tree()
    load_demo()
    broker.flushdb()
    return InternationalPage.objects.get(slug="internationella-samarbeten")


def ensure_wagtail_tree():
    """Put back what Wagtail's migrations create and load_demo builds on: a
    transactional test ends by emptying every table (see tests/e2e/conftest.py)."""
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
    if not Collection.objects.exists():
        Collection.add_root(name="Root")


@pytest.fixture
def task_runs():
    """What the in-process worker ran: name, arguments, state, return value."""
    runs = TaskRuns()

    def record(task=None, args=None, state=None, retval=None, **kwargs):
        runs.runs.append(TaskRun(task.name, list(args or []), state, retval))

    celery_signals.task_postrun.connect(record, weak=False)
    yield runs
    celery_signals.task_postrun.disconnect(record)


@pytest.fixture
def worker(demo_tx, broker, cache_redis, task_runs):
    """A real worker, running from after the demo content is loaded to the
    end of the test."""
    with in_process_worker() as running:
        yield running


@pytest.fixture
def worker_process(demo_tx, broker, cache_redis, tmp_path):
    """Starts `celery worker` processes on demand; stops what is left at the end."""
    started = []

    def start():
        started.append(WorkerProcess(tmp_path / f"worker-{len(started)}.log"))
        return started[-1]

    yield start
    for process in started:
        process.stop()
