"""Telling the user who scheduled a release that it failed: one e-mail, in
Swedish, with the reason for each item.

Once, even when the task runs twice: the row is marked (a conditional
UPDATE, the claim) before the message is sent, and unmarked when the SMTP
server refuses it, so that the next try sends it.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from .models import Release, ReleaseState

logger = logging.getLogger(__name__)

SUBJECT = "Utgåvan ”{name}” publicerades inte"


def failure_message(release):
    local = timezone.localtime(release.go_live_at)
    when = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    lines = [
        f"Utgåvan ”{release.name}” skulle publiceras {when}, men inget i den "
        "har publicerats: en utgåva publiceras helt eller inte alls.",
        "",
        "Det här hindrade den:",
    ]
    for reason in release.failure_reasons.get("items", {}).values():
        # Each reason names its object (actions.py's texts).
        lines.append(f"- {reason}")
    lines += [
        "",
        "Rätta det som står ovan och schemalägg utgåvan igen:",
        settings.WAGTAILADMIN_BASE_URL.rstrip("/")
        + reverse("releases_admin:detail", args=[release.pk]),
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
