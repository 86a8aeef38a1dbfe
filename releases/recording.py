"""A release's changes are recorded at its instant.

Wagtail stamps a publish with the moment its code runs: `last_published_at`
and `first_published_at` on the object's row, the log entry's time. A
release applies its items one after another, some milliseconds past its
time, yet visitors see them change at once; so, inside `at_instant`, every
object saved and every entry logged takes the release's instant instead.
"Senast uppdaterad" follows from those (intl_pages/stamps.py), and so every
page a release touches is stamped with its instant, once.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from wagtail.models import BaseLogEntry, DraftStateMixin

_instant = ContextVar("release_instant", default=None)


@contextmanager
def at_instant(moment):
    token = _instant.set(moment)
    try:
        yield
    finally:
        _instant.reset(token)


def current_instant():
    """The instant of the release being applied, or None."""
    return _instant.get()


def object_saved(sender, instance, **kwargs):
    moment = _instant.get()
    if moment is None or not isinstance(instance, DraftStateMixin):
        return
    if instance.last_published_at and instance.last_published_at > moment:
        instance.last_published_at = moment
    if instance.first_published_at and instance.first_published_at > moment:
        instance.first_published_at = moment


def entry_logged(sender, instance, **kwargs):
    moment = _instant.get()
    if moment is not None and isinstance(instance, BaseLogEntry) and instance.timestamp:
        instance.timestamp = min(instance.timestamp, moment)
