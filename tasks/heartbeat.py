"""Each worker says it is alive, so that the health check never has to ask.

A Celery bootstep of the consumer (as Celery's own event heartbeat,
`celery.worker.consumer.heart.Heart`) notes the time in the cache, under
each queue the worker consumes, every `HEALTH_HEARTBEAT_SECONDS`. It runs on
the consumer's timer, in the loop that takes the messages: the beat stops
when that loop stops (a hung consumer, a broker connection lost, a worker
shut down), not merely when the process dies, as a thread of its own would.
Celery's `heartbeat_sent` signal would do the same, but only with task
events switched on (`-E`), which the stack does not run.

/healthz/ reads these notes (`tasks.health`) instead of broadcasting a ping
to every worker and waiting a second for the answers. This module imports
nothing of Django's apps: cms/celery.py adds the step before Django is set up.
"""

import logging
import time

from celery import bootsteps

logger = logging.getLogger(__name__)

KEY_PREFIX = "pipeline:heartbeat:"


def key(queue):
    return f"{KEY_PREFIX}{queue}"


def beat(hostname, queues, now=None):
    """Note that `hostname` consumes `queues` now. The cache turns a Redis
    outage into nothing written: the beats then go stale, as they should."""
    from django.conf import settings
    from django.core.cache import cache

    note = {"at": time.time() if now is None else now, "worker": hostname}
    # Gone on its own once well past stale, so a queue no one consumes any
    # more leaves nothing behind.
    timeout = max(60, 10 * settings.HEALTH_HEARTBEAT_STALE_SECONDS)
    cache.set_many({key(queue): note for queue in queues}, timeout=timeout)


class Heartbeat(bootsteps.StartStopStep):
    """The consumer's step: a beat as it starts, then one every interval."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, c, **kwargs):
        self.tref = None
        super().__init__(c, **kwargs)

    def start(self, c):
        from django.conf import settings

        self.beat(c)
        self.tref = c.timer.call_repeatedly(settings.HEALTH_HEARTBEAT_SECONDS, self.beat, (c,))

    def beat(self, c):
        try:
            # Read each time: a queue added at run time (add_consumer) counts.
            queues = sorted(queue.name for queue in c.task_consumer.queues)
            beat(c.hostname, queues)
        except Exception:
            # A beat must never take the consumer down; a missed one shows
            # as a stale heartbeat in the health check.
            logger.exception("Kunde inte skriva workerns hjärtslag.")

    def stop(self, c):
        if self.tref is not None:
            c.timer.cancel(self.tref)
            self.tref = None

    shutdown = stop
