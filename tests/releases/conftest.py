"""Fixtures of the release tests: the pipeline tests' content, Redis and
workers; a real SMTP server; an editor with a scheduling token."""

import pytest

from tests.feedback.test_digests import smtp  # noqa: F401 (a real SMTP server)
from tests.pagecache.conftest import pagecache_on, private_redis  # noqa: F401
from tests.tasks.conftest import (  # noqa: F401 (the pipeline tests' fixtures)
    alex,
    broker,
    cache_redis,
    content_tx,
    kim,
    page_db,
    page_tx,
    sam,
    task_runs,
    worker,
    worker_process,
)
from tests.webhooks.conftest import listener, private_allowed  # noqa: F401

from .support import make_admin


@pytest.fixture
def admin(db):
    return make_admin()
