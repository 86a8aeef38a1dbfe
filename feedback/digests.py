"""Digests: the answers of one owner address, gathered, built as plain data,
rendered as one e-mail, and sent once.

A digest also reminds its owner of what is due for review ("Sidor att
granska"): the sources named in FEEDBACK_REMINDER_SOURCES (the content's,
which this app does not import) say, per owner address, what is due. An
owner with something due gets a digest at each of its digest times, with or
without answers, until someone has reviewed it; an owner who wants answers
at once gets reminders daily, not every minute.

The database is the outbox. Unsent answers are the truth: `gather_due`
takes, for every owner address whose digest is due, its unsent answers into
a new Digest row, built once with a Message-ID derived from the digest's
key. `send` claims the row, sends it, and only after the SMTP server has
accepted the message marks it (and so its answers) sent. A worker that dies
between the two leaves the row claimed; once the claim is stale it is sent
again as is: the same Message-ID, so the owner's mail client shows one.
"""

import hashlib
import logging
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import (
    Digest,
    DigestFrequency,
    DigestStatus,
    Feedback,
    FeedbackKind,
    OwnerMailbox,
)

logger = logging.getLogger(__name__)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SEND_HOUR = time(7, 0)
# A claim older than this is taken for a worker that died while sending.
STALE_CLAIM = timedelta(minutes=10)


# When a digest is due


def due_cutoff(frequency, now):
    """Answers that arrived before this moment are due for an owner address
    with this frequency: at once, everything; daily, what came before the
    latest 07:00 in Stockholm; weekly, before the latest Monday 07:00.
    Computed on Stockholm's wall clock, whatever zone beat runs in."""
    if frequency == DigestFrequency.IMMEDIATE:
        return now
    local = now.astimezone(STOCKHOLM)
    slot = datetime.combine(local.date(), SEND_HOUR, tzinfo=STOCKHOLM)
    if slot > local:
        slot -= timedelta(days=1)
    if frequency == DigestFrequency.WEEKLY:
        slot -= timedelta(days=slot.weekday())  # back to Monday
    # Rebuilt from the wall clock: a day's subtraction across a change of
    # daylight saving keeps 07:00.
    return datetime.combine(slot.date(), SEND_HOUR, tzinfo=STOCKHOLM)


def frequencies():
    return dict(OwnerMailbox.objects.values_list("email", "frequency"))


def reminder_slot(frequency, now):
    """The digest time whose reminders are due now: the owner's own, but at
    most daily."""
    if frequency == DigestFrequency.IMMEDIATE:
        frequency = DigestFrequency.DAILY
    return due_cutoff(frequency, now)


def due_reminders(now):
    """{owner address: [reminder]} from every source in
    FEEDBACK_REMINDER_SOURCES: a callable taking `now` and returning plain
    data, each reminder with `due_at` (aware), `kind`, `title`, `due_on`,
    `last_reviewed_on` and `review_url`."""
    found = {}
    for path in getattr(settings, "FEEDBACK_REMINDER_SOURCES", ()):
        for owner_email, items in import_string(path)(now).items():
            found.setdefault(owner_email, []).extend(items)
    return found


# Building


def digest_key(owner_email, answer_ids):
    """Stable for the same owner and the same answers."""
    material = f"{owner_email.lower()}:{','.join(map(str, sorted(answer_ids)))}"
    return hashlib.sha256(material.encode()).hexdigest()


def message_id_for(key):
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return f"<sidrespons.{key[:32]}@{domain}>"


def report_url(page_id=None):
    """The admin report, filtered to one page where there is one (a deleted
    page's answers are found in the whole report)."""
    url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("feedback_report")
    return f"{url}?page={page_id}" if page_id else url


def local_time(moment):
    # Formatted once here: the template's date filter was a tenth of a large
    # digest run.
    return timezone.localtime(moment, STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def location_url(report):
    """The full address of the place a report names: a path on the site of
    the statement it was sent from."""
    if not report.location:
        return ""
    parts = urlsplit(report.page_url)
    return f"{parts.scheme}://{parts.netloc}{report.location}" if parts.netloc else ""


def digest_data(owner_email, answers, reminders=()):
    """What a digest says, as plain data: per page, the number of Ja and Nej
    and the mean rating by the one rule for a counted answer
    (`FeedbackQuerySet.figures`), and every redacted comment with its time
    and the visitor's contact address where one was given; then the reports
    of accessibility shortcomings, each with the place the visitor named."""
    figures = {
        (row["page_id"], row["page_url"]): row
        for row in Feedback.objects.filter(pk__in=[a.pk for a in answers]).figures(
            "page_id", "page_url"
        )
    }
    pages = {}
    reports = []
    follow_ups = 0
    for answer in sorted(answers, key=lambda a: (a.page_title, a.created_at)):
        if answer.kind == FeedbackKind.ACCESSIBILITY_REPORT:
            reports.append(
                {
                    "at": local_time(answer.created_at),
                    "statement_title": answer.page_title,
                    "language": answer.language,
                    "location": answer.location,
                    "location_url": location_url(answer),
                    "text": answer.comment,
                    "contact_email": answer.contact_email,
                }
            )
            continue
        follow_ups += answer.follow_up_of_id is not None
        key = (answer.page_id, answer.page_url)
        page = pages.setdefault(
            key,
            {
                "title": answer.page_title,
                "url": answer.page_url,
                "language": answer.language,
                "report_url": report_url(answer.page_id),
                "comments": [],
            },
        )
        if answer.comment or answer.contact_email:
            page["comments"].append(
                {
                    "at": local_time(answer.created_at),
                    "helpful": answer.helpful,
                    "rating": answer.rating,
                    "text": answer.comment,
                    "contact_email": answer.contact_email,
                }
            )
    for key, page in pages.items():
        row = figures.get(key) or {"yes": 0, "no": 0, "mean_rating": None, "rated": 0}
        mean = row["mean_rating"]
        page.update(
            yes=row["yes"],
            no=row["no"],
            mean_rating=round(mean, 1) if mean is not None else None,
            rated=row["rated"],
        )
    return {
        "owner_email": owner_email,
        "answers": sum(row["answers"] for row in figures.values()),
        "follow_ups": follow_ups,
        "report_url": report_url(),
        "pages": list(pages.values()),
        "reports": reports,
        "reminders": list(reminders),
    }


def subject_of(data):
    parts = []
    count = data["answers"]
    if count:
        parts.append(f"{count} {'nytt svar' if count == 1 else 'nya svar'} från besökare")
    if data["follow_ups"]:
        parts.append(f"{data['follow_ups']} tillägg till tidigare svar")
    count = len(data["reports"])
    if count:
        parts.append(
            f"{count} {'rapport' if count == 1 else 'rapporter'} om brister i tillgängligheten"
        )
    count = len(data.get("reminders", ()))
    if count:
        parts.append(f"{count} {'sida' if count == 1 else 'sidor'} att granska")
    if len(parts) > 1:
        parts = [", ".join(parts[:-1]), parts[-1]]
    return "Sidrespons: " + " och ".join(parts)


def render(data):
    """(subject, text, html) of a digest. Every visitor's string is escaped
    in the HTML part; the text part is plain text."""
    text = render_to_string("feedback/digest.txt", data)
    html = render_to_string("feedback/digest.html", data)
    return subject_of(data), text, html


def gather_due(now=None, everything=False):
    """A new Digest for every owner address that has due, unsent answers
    (`everything`: all unsent answers, whatever the frequency) or reviews
    due and not yet reminded of at its current digest time. Returns the new
    digests' ids."""
    now = now or timezone.now()
    by_owner = frequencies()
    reminders = due_reminders(now)
    # order_by(): the model's ordering would make DISTINCT run over
    # (owner, time), one loop per answer instead of one per owner.
    owners = set(
        Feedback.objects.unsent().order_by().values_list("owner_email", flat=True).distinct()
    )
    reminded = set()
    if reminders:
        reminded = set(
            Digest.objects.filter(owner_email__in=list(reminders), reminder_slot__isnull=False)
            .order_by()
            .values_list("owner_email", "reminder_slot")
        )
    created = []
    for owner_email in sorted(owners | set(reminders)):
        frequency = by_owner.get(owner_email, DigestFrequency.DAILY)
        cutoff = now if everything else due_cutoff(frequency, now)
        slot = reminder_slot(frequency, now)
        items = []
        if (owner_email, slot) not in reminded:
            # Due by the digest time: something due since is for the next.
            until = now if everything else slot
            items = [
                {key: value for key, value in item.items() if key != "due_at"}
                for item in reminders.get(owner_email, ())
                if item["due_at"] <= until
            ]
        digest_id = _gather_one(owner_email, cutoff, now, items, slot)
        if digest_id:
            created.append(digest_id)
    return created


def _gather_one(owner_email, cutoff, now, reminders=(), slot=None):
    try:
        with transaction.atomic():
            answers = list(
                Feedback.objects.unsent()
                .select_for_update(skip_locked=True)
                .filter(owner_email=owner_email, created_at__lt=cutoff)
                .order_by("pk")
            )
            if not answers and not reminders:
                return None
            key = digest_key(owner_email, [a.pk for a in answers])
            if reminders:
                key = digest_key(f"{owner_email}:{slot.isoformat()}", [a.pk for a in answers])
            subject, text, html = render(digest_data(owner_email, answers, reminders))
            digest = Digest.objects.create(
                key=key,
                owner_email=owner_email,
                message_id=message_id_for(key),
                subject=subject,
                text_body=text,
                html_body=html,
                next_attempt_at=now,
                reminder_slot=slot if reminders else None,
                reminders=list(reminders),
            )
            # Only answers still unsent: another sweep may have taken some.
            Feedback.objects.filter(pk__in=[a.pk for a in answers], digest__isnull=True).update(
                digest=digest
            )
    except IntegrityError:
        # A sweep running beside this one made this owner's digest for the
        # same answers or reminder time: its answers are gathered next time.
        return None
    return digest.pk


# Sending


def retry_delay(attempts):
    """1, 2, 4 … minutes, at most an hour apart: retried for hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _sendable_now(now, everything=False):
    """Due digests (all pending ones with `everything`, the command's --all),
    and ones whose claim is stale: a worker died while sending."""
    pending = Q(status=DigestStatus.PENDING)
    if not everything:
        pending &= Q(next_attempt_at__lte=now)
    return pending | Q(status=DigestStatus.SENDING, claimed_at__lt=now - STALE_CLAIM)


def sendable(now=None, everything=False):
    """Ids of the digests to send now."""
    now = now or timezone.now()
    return list(
        Digest.objects.filter(_sendable_now(now, everything))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)
    )


def claim(digest_id, now, everything=False):
    """True for the one caller that may send the digest now."""
    return bool(
        Digest.objects.filter(pk=digest_id)
        .filter(_sendable_now(now, everything))
        .update(status=DigestStatus.SENDING, claimed_at=now)
    )


def message(digest, connection=None):
    """The digest as an e-mail: From the site's address, the envelope sender
    (where bounces go) the monitored FEEDBACK_BOUNCE_ADDRESS."""
    email = EmailMultiAlternatives(
        subject=digest.subject,
        body=digest.text_body,
        from_email=settings.FEEDBACK_BOUNCE_ADDRESS,
        to=[digest.owner_email],
        headers={"From": settings.DEFAULT_FROM_EMAIL, "Message-ID": digest.message_id},
        connection=connection,
    )
    email.attach_alternative(digest.html_body, "text/html")
    return email


def send(digest_id, now=None, connection=None, everything=False):
    """Send one digest if it is due and this caller claims it. Returns
    'sent', 'retry' (the SMTP server refused or did not answer; the next
    attempt's time is on the row) or 'skipped'."""
    now = now or timezone.now()
    if not claim(digest_id, now, everything):
        return "skipped"
    digest = Digest.objects.get(pk=digest_id)
    mine = Digest.objects.filter(pk=digest_id, status=DigestStatus.SENDING, claimed_at=now)
    try:
        message(digest, connection or get_connection()).send()
    except Exception as exc:
        attempts = digest.attempts + 1
        # Only while the claim is still this caller's.
        mine.update(
            status=DigestStatus.PENDING,
            attempts=attempts,
            next_attempt_at=timezone.now() + retry_delay(attempts),
            last_error=repr(exc)[:500],
        )
        logger.warning(
            "Sammanställning %s till %s kunde inte skickas (försök %s): %r",
            digest_id,
            digest.owner_email,
            attempts,
            exc,
        )
        return "retry"
    # Sent: the server has it. The bodies go (they hold visitors' addresses,
    # which retention must be able to erase); the row keeps what it was.
    Digest.objects.filter(pk=digest_id).update(
        status=DigestStatus.SENT,
        sent_at=timezone.now(),
        attempts=digest.attempts + 1,
        text_body="",
        html_body="",
    )
    logger.info("Skickade sammanställning %s till %s.", digest_id, digest.owner_email)
    return "sent"


def rebuild_unsent(digest_ids):
    """Render the digests not yet sent again from their answers (after
    retention or a visitor's request erased data they held); the key and the
    Message-ID stay."""
    for digest in Digest.objects.filter(pk__in=digest_ids).exclude(status=DigestStatus.SENT):
        answers = list(digest.answers.all())
        digest.subject, digest.text_body, digest.html_body = render(
            digest_data(digest.owner_email, answers, digest.reminders)
        )
        digest.save(update_fields=["subject", "text_body", "html_body"])


def send_due(now=None, everything=False, connection=None):
    """Gather what is due and send every sendable digest, in this process.
    Returns {outcome: count}."""
    gather_due(now, everything=everything)
    outcomes = {}
    # One SMTP connection for the run, not one per digest. Opened here, it
    # stays open between messages; after a failure it is closed, and each
    # later digest opens (and closes) its own.
    connection = connection or get_connection()
    try:
        connection.open()
    except Exception:
        logger.warning("SMTP-servern svarar inte; varje sammanställning försöker själv.")
    try:
        for digest_id in sendable(now, everything):
            outcome = send(digest_id, now=now, connection=connection, everything=everything)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if outcome == "retry":
                connection.close()
    finally:
        connection.close()
    return outcomes


def health():
    """For the health check: digests waiting, and the owner addresses whose
    digests keep failing (three attempts or more)."""
    waiting = Digest.objects.exclude(status=DigestStatus.SENT)
    failing = waiting.filter(attempts__gte=3).values_list("owner_email", flat=True)
    return {
        "digests_waiting": waiting.count(),
        "failing_owner_addresses": sorted(set(failing)),
    }
