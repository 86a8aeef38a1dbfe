"""A scheduled change that failed for good: recorded once, told once by
e-mail to the user who scheduled it, shown on the overview and the
dashboard until someone marks it seen, counted by the health report."""

import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page

from .models import EXPIRE, PUBLISH, ScheduledChangeFailure
from .rows import edit_url

logger = logging.getLogger(__name__)

SUBJECT = {
    PUBLISH: "Schemalagd publicering misslyckades: {title}",
    EXPIRE: "Schemalagd avpublicering misslyckades: {title}",
}


def base_content_type(obj):
    return ContentType.objects.get_for_model(Page if isinstance(obj, Page) else type(obj))


def record_failure(obj, action, due_at, reason, scheduled_by=None, revision_id=None):
    """The failure of `action` ("publish" or "expire") planned for `due_at`;
    (failure, created). Recording the same failure again changes nothing."""
    content_type = base_content_type(obj)
    existing = ScheduledChangeFailure.objects.filter(
        content_type=content_type, object_id=str(obj.pk), action=action, due_at=due_at
    ).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            failure = ScheduledChangeFailure.objects.create(
                content_type=content_type,
                object_id=str(obj.pk),
                revision_id=revision_id,
                action=action,
                due_at=due_at,
                reason=reason[:2000],
                scheduled_by=scheduled_by,
            )
    except IntegrityError:  # recorded at the same moment by another worker
        failure = ScheduledChangeFailure.objects.get(
            content_type=content_type, object_id=str(obj.pk), action=action, due_at=due_at
        )
        return failure, False
    logger.error(
        "Schemalagd %s av %s %s (planerad %s) misslyckades: %s",
        action,
        content_type.model,
        obj.pk,
        due_at.isoformat(),
        reason,
    )
    return failure, True


def failed_object(failure):
    model = failure.content_type.model_class()
    obj = model.objects.filter(pk=failure.object_id).first()
    return obj.specific if isinstance(obj, Page) else obj


def mail_failure(failure_id):
    """Tell the user who scheduled it, once: the row is locked while the
    message goes out and marked when the server has it, so that a second
    call waits, then sees it sent. Returns whether a message was sent."""
    with transaction.atomic():
        failure = (
            ScheduledChangeFailure.objects.select_for_update(of=("self",))
            .select_related("scheduled_by", "content_type")
            .filter(pk=failure_id, mailed_at__isnull=True)
            .first()
        )
        if failure is None:
            return False
        user = failure.scheduled_by
        address = getattr(user, "email", "")
        if address:
            obj = failed_object(failure)
            title = (
                str(obj) if obj is not None else f"{failure.content_type.name} {failure.object_id}"
            )
            context = {
                "failure": failure,
                "user": user,
                "title": title,
                "edit_url": _absolute(edit_url(obj)) if obj is not None else None,
                "overview_url": _absolute(reverse("planning_report")),
                "action_label": "publiceras" if failure.action == PUBLISH else "avpubliceras",
            }
            EmailMessage(
                subject=SUBJECT[failure.action].format(title=title),
                body=render_to_string("planning/failure_mail.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[address],
            ).send()
        else:
            logger.warning("Ingen e-postadress att meddela felet %s till.", failure_id)
        failure.mailed_at = timezone.now()
        failure.save(update_fields=["mailed_at"])
        return bool(address)


def _absolute(path):
    if not path:
        return None
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def acknowledge(failure_id, user):
    """ "Markera som sedd": the failure leaves the top of the overview and
    the dashboard. Returns whether it was unseen."""
    return bool(
        ScheduledChangeFailure.objects.filter(pk=failure_id, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=user
        )
    )


def unseen_count():
    return ScheduledChangeFailure.objects.filter(acknowledged_at__isnull=True).count()
