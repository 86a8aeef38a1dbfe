from django.db import models


class PendingPurge(models.Model):
    """A purge that could not reach Redis when its change committed (Redis
    down). The change is in the database; the cache in Redis may still hold
    what was there before, and will again be read once Redis is back. Every
    web process looks here once a second (and at once when Redis comes back)
    and purges before it serves from the cache again (pagecache/store.py)."""

    created_at = models.DateTimeField("skapad", auto_now_add=True)

    class Meta:
        verbose_name = "väntande tömning av sidcachen"
        verbose_name_plural = "väntande tömningar av sidcachen"

    def __str__(self):
        return f"{self.pk}: {self.created_at.isoformat()}"
