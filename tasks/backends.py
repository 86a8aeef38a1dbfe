"""A django-tasks backend that runs Wagtail's background work on Celery.

Wagtail 8 queues reference-index updates, search-index updates, front-end
cache purges, image focal points and file deletions through django-tasks, by
default immediately inside the editor's request. This backend hands them to
the project's Celery workers instead, and only once the transaction has
committed: Wagtail enqueues from `post_save`, and a worker must not look for
a row it cannot see yet. (The published `django-tasks-celery` needs Python
3.12.)

The work enqueued at one savepoint level goes out as one Celery message: a
page's save asks for a reference-index and a search-index update, and one
message costs the publishing worker half of what two do. A batch is
registered with `on_commit` at its own level, so a rolled-back savepoint
discards its work exactly as Django discards its callbacks.
"""

from django.db import transaction
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id, normalize_json

from changes.changeset import OnCommit, collect


class _Batch(OnCommit):
    """The work enqueued at one savepoint level of one transaction, sent on
    commit. Registered with `on_commit` at that level, so a rolled-back
    savepoint discards its batch, as Django discards its callbacks."""

    def __init__(self, level=()):
        self.level = level
        self.items = []

    def run(self):
        # Imported here: this backend is built while Django loads its apps,
        # before the Celery tasks can be imported.
        from .outbox import send_or_keep
        from .wagtail_work import run_wagtail_tasks

        if self.items:
            # Kept in the database when Redis is down, and sent later.
            send_or_keep(run_wagtail_tasks, [self.items])


def _add_to_batch(item):
    """Add to the batch of the current savepoint level (the one helper for
    one on-commit callback: changes.changeset.collect); outside a
    transaction the item goes out at once."""
    connection = transaction.get_connection()
    level = tuple(connection.savepoint_ids)
    collect(
        _Batch,
        lambda batch: batch.items.append(item),
        make=lambda: _Batch(level),
        where=lambda batch: batch.level == level,
    )


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
        _add_to_batch([task.module_path, result.args, result.kwargs])
        return result
