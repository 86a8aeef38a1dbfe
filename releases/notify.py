"""Telling the user who scheduled a release that it failed: one e-mail, in
Swedish, with the reason for each item.

Once, even when the task runs twice: the row is marked (a conditional
UPDATE, the claim) before the message is sent, and unmarked when the SMTP
server refuses it, so that the next try sends it.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import Release, ReleaseState

logger = logging.getLogger(__name__)

SUBJECT = "Utgåvan ”{name}” publicerades inte"


def failure_message(release):
    when = timezone.localtime(release.go_live_at).strftime("%Y-%m-%d %H:%M")
    items = {str(item.pk): item for item in release.items.select_related("content_type")}
    lines = [
        f"Utgåvan ”{release.name}” skulle publiceras {when} (svensk tid), men inget i den "
        "har publicerats: en utgåva publiceras helt eller inte alls.",
        "",
        "Det här hindrade den:",
    ]
    for item_id, reason in release.failure_reasons.get("items", {}).items():
        item = items.get(item_id)
        kind = item.content_type.name if item else "ändring"
        lines.append(f"- {reason} ({kind} {item.object_id if item else item_id})")
    lines += [
        "",
        "Rätta det som står ovan och schemalägg utgåvan igen.",
        "",
        settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/admin/",
    ]
    return "\n".join(lines) + "\n"


def tell_scheduler_of_failure(release_id):
    """E-mail the scheduler of a failed release, once. Returns whether this
    call sent it."""
    claimed = Release.objects.filter(
        pk=release_id, state=ReleaseState.FAILED, failure_mailed_at__isnull=True
    ).update(failure_mailed_at=timezone.now())
    if not claimed:
        return False
    release = Release.objects.select_related("scheduled_by").get(pk=release_id)
    user = release.scheduled_by
    if user is None or not user.email:
        logger.warning("Utgåva %s misslyckades; ingen att e-posta.", release_id)
        return False
    try:
        send_mail(SUBJECT.format(name=release.name), failure_message(release), None, [user.email])
    except Exception:
        Release.objects.filter(pk=release_id).update(failure_mailed_at=None)
        raise
    return True
