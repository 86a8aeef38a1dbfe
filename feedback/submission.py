"""Taking a visitor's answer, or a report of an accessibility shortcoming:
the one action that the widget's form, the report form, the JSON endpoint
and the tests call.

Validated (`FeedbackForm`), checked for bots, redacted and saved in the
request's transaction; nothing is sent here. What the bot checks catch
(honeypot filled, token missing, tampered with or too young) is saved too,
flagged as spam and answered like any other post: a false positive loses
nothing, and a bot learns nothing.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import Http404
from wagtail.models import Page

from . import ratelimit, tokens
from .forms import HONEYPOT_FIELD, AccessibilityReportForm, FeedbackForm
from .models import Feedback, FeedbackKind, FeedbackSettings
from .redaction import redact

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    form: FeedbackForm
    answer: Feedback | None = None
    # Over the client's rate limit: nothing saved; try again after this long.
    limited: bool = False
    retry_after: int = 0

    @property
    def ok(self):
        return self.answer is not None

    @property
    def reference(self):
        """What the widget's later steps send to add to this answer."""
        return tokens.answer_reference(self.answer.pk) if self.answer else ""


def page_for_feedback(page_id):
    """The page an answer is about: live, public and with an address a
    visitor can open (not the tree's root, not a page outside every site);
    404 for any other. The one rule for the form, its token and the API."""
    try:
        page_id = int(page_id)
    except (TypeError, ValueError):
        raise Http404 from None
    page = Page.objects.live().public().filter(pk=page_id).specific().first()
    if page is None or page.url is None:
        raise Http404
    return page


def owner_email_of(page, site=None):
    """Where the page's answers go: its own owner address, or the site's
    default for page types that have none."""
    owner = getattr(page, "owner_email", "")
    if owner:
        return owner
    site = site or page.get_site()
    if site is None:  # a page outside every site's tree
        return settings.DEFAULT_PAGE_OWNER_EMAIL
    return FeedbackSettings.for_site(site).default_owner_email


def language_of(page):
    """The language of a page ("sv", "en"): its locale's."""
    return page.locale.language_code


def spam_reason(cleaned, page_id):
    if cleaned.get(HONEYPOT_FIELD):
        return "honeypot"
    token = cleaned.get("token")
    if not token:
        return "token saknas"
    age = tokens.form_token_age(token, page_id)
    if age is None:
        return "ogiltig token"
    if age < settings.FEEDBACK_MIN_SECONDS:
        return "för snabbt"
    return ""


def submit_feedback(page, data, client=None):
    """Validate `data` (the form's fields) and save the answer it gives, or add
    to the answer its `answer` reference names; with `client` (the visitor's
    address), only within the client's rate limit, which counts valid posts
    only. Returns an Outcome: the bound form with its errors, the saved
    answer when it was valid, or `limited`."""
    return _submit(FeedbackForm(data), client, lambda form: save_answer(page, form))


def takes_reports(page):
    """Whether visitors report accessibility shortcomings through this page:
    the accessibility statement says so (the apps do not import each other)."""
    return bool(getattr(page, "takes_accessibility_reports", False))


def report_page(page_id):
    """The accessibility statement a report is sent through; 404 for any
    other page (`page_for_feedback`'s rules first)."""
    page = page_for_feedback(page_id)
    if not takes_reports(page):
        raise Http404
    return page


def submit_report(page, data, client=None, host=None):
    """A report of an accessibility shortcoming, through the same steps as an
    answer (validation, bot checks, the same rate limit, redaction, storage
    as received): saved as its own kind, which no figure counts, for the
    statement's owner address. `host` is the request's, without a port: the
    only one the report's location may name."""
    form = AccessibilityReportForm(data, host=host)
    return _submit(form, client, lambda form: save_report(page, form))


def _submit(form, client, save):
    if not form.is_valid():
        return Outcome(form)
    key = None
    if client is not None:
        allowed, retry_after, key = ratelimit.hit(client)
        if not allowed:
            ratelimit.undo(key)  # a refused post does not count
            return Outcome(form, limited=True, retry_after=retry_after)
    try:
        return Outcome(form, save(form))
    except DatabaseError:
        # Nothing was saved (one transaction), so the post does not count:
        # the visitor sends the same answer again.
        if key is not None:
            ratelimit.undo(key)
        raise


def save_report(page, form):
    """Save the report of a valid AccessibilityReportForm (`submit_report`)."""
    cleaned = form.cleaned_data
    reason = spam_reason(cleaned, page.pk)
    report = Feedback.objects.create(
        kind=FeedbackKind.ACCESSIBILITY_REPORT,
        page=page,
        page_title=page.title[:255],
        page_url=(page.full_url or page.url or "")[:500],
        owner_email=owner_email_of(page),
        language=language_of(page),
        helpful=None,
        comment=redact(cleaned["problem"]),
        comment_as_received=cleaned["problem"],
        location=cleaned["location"],
        contact_email=cleaned["email"],
        is_spam=bool(reason),
        spam_reason=reason,
    )
    if reason:
        logger.info("Rapport %s sparad som skräp (%s).", report.pk, reason)
    return report


def save_answer(page, form):
    """Save the answer of a valid form (see `submit_feedback`)."""
    cleaned = form.cleaned_data
    reason = spam_reason(cleaned, page.pk)
    with transaction.atomic():
        answer, gathered = (None, None)
        if not reason:
            answer, gathered = _answer_referred_to(cleaned.get("answer"), page)
        if answer is None:
            answer = Feedback(
                page=page,
                page_title=page.title[:255],
                page_url=(page.full_url or page.url or "")[:500],
                owner_email=owner_email_of(page),
                language=language_of(page),
                is_spam=bool(reason),
                spam_reason=reason,
                follow_up_of=gathered,
            )
        answer.helpful = cleaned["helpful"] == "yes"
        if cleaned["rating"] is not None:
            answer.rating = cleaned["rating"]
        if cleaned["comment"]:
            answer.comment_as_received = cleaned["comment"]
            answer.comment = redact(cleaned["comment"])
        if cleaned["email"]:
            answer.contact_email = cleaned["email"]
        answer.save()
    if reason:
        # The reason and the id only: never what the visitor wrote.
        logger.info("Svar %s sparat som skräp (%s).", answer.pk, reason)
    return answer


def _answer_referred_to(reference, page):
    """(the answer a reference names, locked, if it may still be added to;
    the answer it names, if that one went into a digest already). A digest
    keeps what it said: an addition to a gathered answer becomes an answer
    of its own, a follow-up."""
    answer_id = tokens.answer_id_from(reference)
    if answer_id is None:
        return None, None
    answer = (
        Feedback.objects.select_for_update()
        .filter(pk=answer_id, page_id=page.pk, is_spam=False, kind=FeedbackKind.ANSWER)
        .first()
    )
    if answer is None:
        return None, None
    if answer.digest_id is not None:
        return None, answer
    return answer, None
