"""Feedback digests and retention: the Celery side.

Thin shells over `feedback.digests` and `feedback.retention`. The database
is the outbox: the sweep finds what is due and what must be tried again
(the next attempt's time is on the digest row), so no task is ever delayed
past the scheduling horizon, and a lost message costs one sweep period.
"""

from celery import shared_task

from feedback import digests, retention

from .base import PipelineTask


@shared_task(name="tasks.sweep_feedback_digests", base=PipelineTask)
def sweep_feedback_digests():
    """Beat, every minute: gather the due answers of each owner address into
    a digest, and queue the sending of every digest that may be sent now."""
    created = digests.gather_due()
    for digest_id in digests.sendable():
        send_feedback_digest.delay(digest_id)
    return len(created)


@shared_task(name="tasks.send_feedback_digest", base=PipelineTask)
def send_feedback_digest(digest_id):
    """Send one digest; its claim makes a duplicate message do nothing. A
    refused send is tried again by the sweep at the time the row gives."""
    return digests.send(digest_id)


@shared_task(name="tasks.erase_expired_feedback_data", base=PipelineTask)
def erase_expired_feedback_data():
    """Beat, hourly: gallring of contact addresses and comments as received."""
    return retention.erase_expired()
