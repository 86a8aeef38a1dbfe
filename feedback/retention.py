"""Gallring: after FEEDBACK_RETENTION_DAYS, an answer's contact address and
its comment as received are erased; the answer, its rating and the redacted
comment stay (the municipality's gallringsbeslut sets the period)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .digests import rebuild_unsent
from .models import Feedback


def _erase(answers, now):
    """Erase the answers' personal data, and rebuild the unsent digests that
    held it. Returns how many answers were erased."""
    digest_ids = set(answers.exclude(digest=None).values_list("digest", flat=True))
    erased = answers.update(contact_email="", comment_as_received="", personal_data_erased_at=now)
    rebuild_unsent(digest_ids)
    return erased


def erase_expired(now=None):
    """Erase what the retention period has passed for. Returns how many
    answers were erased."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.FEEDBACK_RETENTION_DAYS)
    expired = Feedback.objects.filter(created_at__lt=cutoff).filter(
        ~Q(contact_email="") | ~Q(comment_as_received="")
    )
    return _erase(expired, now)


def erase_contact_address(email, now=None):
    """A visitor's GDPR request: erase everything stored under the address.
    Returns how many answers it was on."""
    return _erase(Feedback.objects.filter(contact_email__iexact=email), now or timezone.now())
