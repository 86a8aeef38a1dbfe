"""Gallring: after FEEDBACK_RETENTION_DAYS, an answer's contact address and
its comment as received are erased; the answer, its rating and the redacted
comment stay (the municipality's gallringsbeslut sets the period)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import Feedback


def erase_expired(now=None):
    """Erase what the retention period has passed for. Returns how many
    answers were erased."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.FEEDBACK_RETENTION_DAYS)
    return (
        Feedback.objects.filter(created_at__lt=cutoff)
        .filter(~Q(contact_email="") | ~Q(comment_as_received=""))
        .update(contact_email="", comment_as_received="", personal_data_erased_at=now)
    )


def erase_contact_address(email, now=None):
    """A visitor's GDPR request: erase everything stored under the address.
    Returns how many answers it was on."""
    now = now or timezone.now()
    return Feedback.objects.filter(contact_email__iexact=email).update(
        contact_email="", comment_as_received="", personal_data_erased_at=now
    )
