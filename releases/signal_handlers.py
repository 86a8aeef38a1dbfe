"""What a release does on others' signals: while one is applied, every
object saved and every entry logged takes its instant (recording.py)."""

from django.db.models.signals import pre_save

from .recording import entry_logged, object_saved


def register_signal_handlers():
    # Any sender: pages of every type, contacts, their log entries; the
    # receivers return at once outside a release.
    pre_save.connect(object_saved, dispatch_uid="releases.object_saved")
    pre_save.connect(entry_logged, dispatch_uid="releases.entry_logged")
