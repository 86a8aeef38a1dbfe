"""Publish webhooks: the Celery side.

Thin shells over `webhooks.delivery`. A change's outbox rows are written by
the webhooks app in the change's transaction; here their delivery is queued
once it commits (tasks/signal_handlers.py; kept in the database when
Redis is down, `send_or_keep`).
The rows are the truth: the next attempt's time is on each row and the
sweep finds what is due, so no message is ever delayed (a countdown past
the visibility timeout would be delivered twice), and a lost message costs
one sweep period. The tasks run on the default queue, never on the
scheduling one: a slow endpoint never holds up a publish.
"""

from celery import shared_task

from webhooks import delivery

from .base import PipelineTask


@shared_task(name="tasks.deliver_webhook", base=PipelineTask)
def deliver_webhook(delivery_id):
    """One attempt at one delivery; its claim makes a duplicate do nothing."""
    return delivery.deliver(delivery_id)


@shared_task(name="tasks.sweep_webhook_deliveries", base=PipelineTask)
def sweep_webhook_deliveries():
    """Beat: queue every delivery whose next attempt is due (retries, and
    what a lost message or a dead worker left behind)."""
    due = delivery.due()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)


@shared_task(name="tasks.erase_old_webhook_logs", base=PipelineTask)
def erase_old_webhook_logs():
    """Beat, hourly: the attempt log is kept WEBHOOKS_LOG_RETENTION_DAYS."""
    return delivery.erase_old_logs()
