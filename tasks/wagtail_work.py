"""Wagtail's own background work (django-tasks: reference and search index
updates, front-end cache purges, file deletion), run on the Celery workers.
`tasks.backends.CeleryBackend` sends it here once the transaction commits."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils.module_loading import import_string

from .base import PipelineTask, RetryingTask
from .publishing import yield_to_publishing

logger = logging.getLogger(__name__)


@shared_task(name="tasks.run_wagtail_task", base=RetryingTask)
def run_wagtail_task(task_path, args, kwargs):
    return import_string(task_path).call(*args, **kwargs)


@shared_task(name="tasks.run_wagtail_tasks", base=PipelineTask)
def run_wagtail_tasks(items):
    """The work one transaction enqueued, in order. One that fails is queued
    again on its own, with retries, and does not hold up the rest."""
    yield_to_publishing()
    for task_path, args, kwargs in items:
        try:
            import_string(task_path).call(*args, **kwargs)
        except SoftTimeLimitExceeded:
            raise  # out of time: the hard limit must not cut the next item in half
        except Exception:
            logger.exception("Bakgrundsjobbet %s misslyckades; försöker igen.", task_path)
            run_wagtail_task.apply_async(args=[task_path, args, kwargs], countdown=2)
