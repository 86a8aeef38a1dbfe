"""Work that must not be lost when the broker is down.

An editor's publish asks for work after it commits: Wagtail's index updates
and cache purges, the stamps of the pages that show a contact. When Redis
does not answer at that moment, the task is kept in the database
(`UnsentTask`) instead of being dropped, the editor's request succeeds, and
beat's resend sweep sends it once Redis answers again. (Scheduled publishes
need no outbox: the schedule itself is in the database, and the schedule
sweep finds what is due.)

Sending is at least once: a row is deleted and its task sent in one
transaction, so a resend that fails keeps the row, and two sweeps never send
the same row twice (the DELETE is the claim: the second sweep's DELETE waits
for the first and then finds nothing). The work itself is idempotent.
"""

import logging

from django.db import transaction

from .models import UnsentTask

logger = logging.getLogger(__name__)

RESEND_AT_MOST = 500


def send_or_keep(task, args):
    """Send the Celery task; when the broker does not answer, keep it in the
    database to be sent later. Never raises for the broker."""
    try:
        task.apply_async(args=args)
    except Exception as exc:
        UnsentTask.objects.create(task_name=task.name, args=args, error=repr(exc)[:500])
        logger.warning(
            "Kön (Redis) svarar inte: %s sparas i databasen och skickas när den är tillbaka (%r).",
            task.name,
            exc,
        )


def resend_unsent(limit=RESEND_AT_MOST):
    """Send what the broker could not take, oldest first. Returns how many
    were sent; stops at the first that fails (the broker is still down)."""
    from cms.celery import app

    sent = 0
    for pk, task_name, args in UnsentTask.objects.values_list("pk", "task_name", "args")[:limit]:
        try:
            with transaction.atomic():
                if not UnsentTask.objects.filter(pk=pk).delete()[0]:
                    continue  # sent by another sweep
                app.tasks[task_name].apply_async(args=args)
        except Exception:
            logger.warning("Kön svarar fortfarande inte; %s väntar kvar.", task_name, exc_info=True)
            break
        sent += 1
    if sent:
        logger.info("Skickade %s bakgrundsjobb som väntat på kön.", sent)
    return sent


def unsent_summary():
    """How many tasks wait to be sent, and since when (for the health check)."""
    oldest = UnsentTask.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return UnsentTask.objects.count(), oldest
