"""A release's changes are recorded at its instant.

Wagtail stamps a publish with the moment its code runs: `last_published_at`
and `first_published_at` on the object's row, the log entry's time. A
release writes its items one after another ahead of its instant and commits
on it, and visitors see them change at once then; so, inside `at_instant`,
every time stamped since the release began writing takes its instant.
"Senast uppdaterad" follows from those (intl_pages/stamps.py), and so every
page a release touches is stamped with its instant, once.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone
from wagtail.models import BaseLogEntry, DraftStateMixin

_instant = ContextVar("release_instant", default=None)


@contextmanager
def at_instant(moment):
    token = _instant.set((moment, timezone.now()))
    try:
        yield
    finally:
        _instant.reset(token)


def current_instant():
    """The instant of the release being applied, or None."""
    held = _instant.get()
    return held[0] if held else None


def _at_instant(value, held):
    """`value`, or the instant when it was stamped while the release wrote."""
    moment, began = held
    return moment if value is not None and value >= began else value


def object_saved(sender, instance, **kwargs):
    held = _instant.get()
    if held is None or not isinstance(instance, DraftStateMixin):
        return
    instance.last_published_at = _at_instant(instance.last_published_at, held)
    instance.first_published_at = _at_instant(instance.first_published_at, held)


def entry_logged(sender, instance, **kwargs):
    held = _instant.get()
    if held is not None and isinstance(instance, BaseLogEntry):
        instance.timestamp = _at_instant(instance.timestamp, held)
