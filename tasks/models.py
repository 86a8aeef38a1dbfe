from django.db import models


class UnsentTask(models.Model):
    """A Celery task that could not be sent because the broker (Redis) did
    not answer when an editor's transaction committed. It waits here, in the
    database the editor's work went to, until the resend sweep sends it
    (tasks/outbox.py)."""

    task_name = models.CharField("jobb", max_length=200)
    args = models.JSONField("argument", default=list)
    created_at = models.DateTimeField("skapad", auto_now_add=True, db_index=True)
    error = models.CharField("fel", max_length=500, blank=True)
    # Set when sending failed for another reason than the broker (a task
    # renamed by a deploy, arguments it no longer takes): the sweep passes
    # it by, so that it does not hold up the rest, and the health check
    # reports it until an operator deals with it.
    failed_at = models.DateTimeField("misslyckades", null=True, blank=True)

    class Meta:
        verbose_name = "ej skickat bakgrundsjobb"
        verbose_name_plural = "ej skickade bakgrundsjobb"
        ordering = ["pk"]

    def __str__(self):
        return f"{self.task_name} {self.args}"
