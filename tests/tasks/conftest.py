"""Fixtures of the pipeline tests: real Redis, the real database, a real
Celery worker (a thread of this process, or a process that can be killed).

The broker and the cache are the Redis databases the test settings name
(REDIS_URL, default redis://127.0.0.1:6379/10, the cache on the next one);
every test that uses them empties both when it starts and when it ends, so
that tasks left behind by other tests never reach its worker.

The content is built in code (`support.build_content`, with tests/builders.py),
never loaded from the demo, so that editing the demo text never breaks these
tests.
"""

import pytest
import redis
from celery import signals as celery_signals
from django.conf import settings

from tests.builders import make_contact, make_site_root

from .support import SAM, TaskRun, TaskRuns, WorkerProcess, build_content, in_process_worker


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
def content_tx(transactional_db, broker, cache_redis):
    """The test content (`support.build_content`: a page showing Kim and
    Alex), committed, so that a worker sees it.

    Building it queues the follow-up tasks of its publishes (the contacts'
    stamps, ...); they would change nothing (the page's publish stamps it
    itself) and are dropped, so that every test starts with an empty queue.
    """
    content = build_content()
    broker.flushdb()
    return content


@pytest.fixture
def page_tx(content_tx):
    """The test page (support.PAGE_URL), committed, published, under the
    home page at "/"."""
    return content_tx.page


@pytest.fixture
def kim(content_tx):
    """The first contact the test page shows (support.KIM), as built: fetch
    it again (`support.fetch_contact(kim.pk)`) for what changed since."""
    return content_tx.kim


@pytest.fixture
def alex(content_tx):
    """The second contact the test page shows (support.ALEX), as built."""
    return content_tx.alex


@pytest.fixture
def sam(content_tx, broker):
    """A new, published contact that no page shows yet (support.SAM; made
    with the immediate backend of the test settings; the stamp task its
    publish queued is dropped)."""
    contact = make_contact(**SAM)
    broker.flushdb()
    return contact


@pytest.fixture
def home_tx(transactional_db, broker, cache_redis):
    """Only the home page, the site's root, committed; the queue emptied
    after it, as for `content_tx`."""
    home = make_site_root()
    broker.flushdb()
    return home


@pytest.fixture
def page_db(db, django_capture_on_commit_callbacks):
    """The test page, in the test's own transaction (for tests that need no
    worker and no commit). Its on-commit work runs as if it had committed:
    what a test does next is a change set of its own."""
    with django_capture_on_commit_callbacks(execute=True):
        return build_content().page


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
def worker(page_tx, broker, cache_redis, task_runs):
    """A real worker, running from after the test content is built to the
    end of the test."""
    with in_process_worker() as running:
        yield running


@pytest.fixture
def worker_process(page_tx, broker, cache_redis, tmp_path):
    """Starts `celery worker` processes on demand; stops what is left at the end."""
    started = []

    def start():
        started.append(WorkerProcess(tmp_path / f"worker-{len(started)}.log"))
        return started[-1]

    yield start
    for process in started:
        process.stop()
