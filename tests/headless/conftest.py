"""Fixtures the API's tests share with the feedback and pipeline tests: the
rate limiter's Redis, and the pipeline's broker, content and real worker."""

from tests.feedback.conftest import limiter_redis  # noqa: F401
from tests.tasks.conftest import (  # noqa: F401
    broker,
    cache_redis,
    content_tx,
    page_tx,
    task_runs,
    worker,
)
