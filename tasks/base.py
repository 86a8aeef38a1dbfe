"""What every task of the pipeline has in common, in one place.

Settings (`CELERY_TASK_*` in cms/settings/base.py) give every task late
acknowledgement, a requeue when its worker is lost and its time limits; the
two base classes here give the failure log and the retry policy. A task
says which one it is by its base, and sets nothing else of that kind.
"""

import logging

from celery import Task

logger = logging.getLogger(__name__)


class PipelineTask(Task):
    """A task that is not retried on its own (a sweep runs again in a few
    seconds; a batch retries its failed items one by one). Logs a failure
    with its arguments (ids), so that an operator sees which object failed."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        logger.error(
            "Jobbet %s gav upp efter %s försök: %r args=%s kwargs=%s",
            self.name,
            self.request.retries + 1,
            exc,
            args,
            kwargs,
        )


class RetryingTask(PipelineTask):
    """A task that does one object's work: retried on any error, with
    exponential backoff and jitter, about a quarter of an hour in all before
    it gives up (and the sweeps take over)."""

    autoretry_for = (Exception,)
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 8
