"""A django-tasks backend that runs Wagtail's background work on Celery.

Wagtail 8 queues reference-index updates, front-end cache purges, image focal
points and file deletions through django-tasks, by default immediately inside
the editor's request. This backend hands them to the project's Celery
workers instead, and only once the transaction has committed: Wagtail
enqueues from `post_save`, and a worker must not look for a row it cannot
see yet. (The published `django-tasks-celery` needs Python 3.12.)
"""

from django.db import transaction
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id, normalize_json


class CeleryBackend(BaseTaskBackend):
    supports_defer = False
    supports_async_task = False
    supports_get_result = False
    supports_priority = False

    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        result = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=normalize_json(args),
            kwargs=normalize_json(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )

        def send_to_celery():
            _send(task.module_path, result.args, result.kwargs, result.id)

        transaction.on_commit(send_to_celery, robust=True)
        return result


def _send(task_path, args, kwargs, task_id):
    # Imported here: this backend is built while Django loads its apps,
    # before the Celery tasks can be imported.
    from tasks.tasks import run_django_task

    run_django_task.apply_async(args=[task_path, args, kwargs], task_id=task_id)
