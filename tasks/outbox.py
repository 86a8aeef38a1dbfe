"""Work that must not be lost when the broker is down.

An editor's publish asks for work after it commits: Wagtail's index updates,
the front-end cache's purge, webhook deliveries. When Redis
does not answer at that moment, the task is kept in the database
(`UnsentTask`) instead of being dropped, the editor's request succeeds, and
beat's resend sweep sends it once Redis answers again. (Scheduled publishes
need no outbox: the schedule itself is in the database, and the schedule
sweep finds what is due.)

Sending is at least once: a row is deleted and its task sent in one
transaction, so a resend that fails keeps the row, and two sweeps never send
the same row twice (the DELETE is the claim: the second sweep's DELETE waits
for the first and then finds nothing). The work itself is idempotent.

The row is written when the send fails, after the editor's commit: a
process killed between the two loses that work (the indexes are then
rebuilt by `rebuild_references_index` and `update_index`; webhook
deliveries are rows their sweep finds). Writing every task into the editor's transaction would
close that gap at two more queries on every publish.

Only the broker's errors mean "keep it for later". Any other error at send
time is a bug, and is raised where it happens; a kept row that fails for
such a reason when resent is marked failed and passed by, not retried for
ever in front of the rest.
"""

import logging

from celery import current_app, shared_task
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .base import PipelineTask
from .models import UnsentTask

logger = logging.getLogger(__name__)

RESEND_AT_MOST = 500

# What Celery raises when the broker does not answer: kombu wraps the
# transport's connection errors; a socket timeout can come through as is.
BROKER_DOWN = (KombuOperationalError, RedisConnectionError, RedisTimeoutError, OSError)


def send_or_keep(task, args):
    """Send the Celery task; when the broker does not answer, keep it in the
    database to be sent later."""
    try:
        task.apply_async(args=args)
    except BROKER_DOWN as exc:
        UnsentTask.objects.create(task_name=task.name, args=args, error=repr(exc)[:500])
        logger.warning(
            "Kön (Redis) svarar inte: %s sparas i databasen och skickas när den är tillbaka (%r).",
            task.name,
            exc,
        )


def resend_unsent_tasks(limit=RESEND_AT_MOST):
    """Send what the broker could not take, oldest first. Returns how many
    were sent; stops at the first the broker refuses (it is still down)."""
    sent = 0
    waiting = UnsentTask.objects.filter(failed_at__isnull=True)
    for pk, task_name, args in waiting.values_list("pk", "task_name", "args")[:limit]:
        try:
            with transaction.atomic():
                if not UnsentTask.objects.filter(pk=pk).delete()[0]:
                    continue  # sent by another sweep
                current_app.tasks[task_name].apply_async(args=args)
        except BROKER_DOWN:
            logger.warning("Kön svarar fortfarande inte; %s väntar kvar.", task_name, exc_info=True)
            break
        except Exception as exc:
            logger.exception(
                "Jobbet %s %s kan inte skickas; det markeras som misslyckat.", task_name, args
            )
            UnsentTask.objects.filter(pk=pk).update(failed_at=timezone.now(), error=repr(exc)[:500])
            continue
        sent += 1
    if sent:
        logger.info("Skickade %s bakgrundsjobb som väntat på kön.", sent)
    return sent


def unsent_summary():
    """For the health check, in one query: how many tasks wait to be sent,
    since when the oldest waits, and how many failed for another reason than
    the broker."""
    waiting = Q(failed_at__isnull=True)
    summary = UnsentTask.objects.aggregate(
        waiting=Count("pk", filter=waiting),
        oldest=Min("created_at", filter=waiting),
        failed=Count("pk", filter=~waiting),
    )
    return summary["waiting"], summary["oldest"], summary["failed"]


@shared_task(name="tasks.resend_unsent", base=PipelineTask)
def resend_unsent():
    """Beat: send the tasks that waited in the database while Redis was down."""
    return resend_unsent_tasks()
