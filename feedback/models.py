"""Visitors' answers to "Hjälpte informationen på den här sidan dig?", and the
digests that bring them to each page owner's mailbox.

An answer is a public record (allmän handling): it keeps the page's title,
address and owner as they were when it arrived, and outlives the page. The
comment is kept twice: as received, readable only with the registrar's
permission, and redacted, which is what everything else shows.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Avg, Count, Q
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

RATING_MIN = 1
RATING_MAX = 5
COMMENT_MAX_LENGTH = 2000
LOCATION_MAX_LENGTH = 500

REGISTRAR_PERMISSION = "feedback.view_comment_as_received"


class DigestFrequency(models.TextChoices):
    IMMEDIATE = "immediate", "direkt (inom en minut)"
    DAILY = "daily", "en gång om dagen (kl. 07.00)"
    WEEKLY = "weekly", "en gång i veckan (måndag kl. 07.00)"


def default_owner_email():
    return settings.DEFAULT_PAGE_OWNER_EMAIL


@register_setting(icon="mail")
class FeedbackSettings(BaseSiteSetting):
    """What the feedback widget links to, and who gets the answers of pages
    without an owner address of their own."""

    default_owner_email = models.EmailField(
        "mottagare när sidan saknar sidansvarig",
        default=default_owner_email,
        help_text="Får återkopplingen för sidtyper som inte har någon sidansvarig.",
    )
    services_feedback_url = models.URLField(
        "adress till Tyck till om kommunen",
        blank=True,
        help_text="E-tjänsten för synpunkter på kommunens service och tjänster. "
        "Widgeten länkar hit; lämna tomt så visas ingen länk.",
    )

    class Meta:
        verbose_name = "sidrespons"


class OwnerMailbox(models.Model):
    """How often one owner address gets its digest."""

    email = models.EmailField("sidansvarig", unique=True)
    frequency = models.CharField(
        "hur ofta",
        max_length=20,
        choices=DigestFrequency.choices,
        default=DigestFrequency.DAILY,
        help_text="När sammanställningen av besökarnas svar skickas till adressen.",
    )

    class Meta:
        verbose_name = "mottagare av sidrespons"
        verbose_name_plural = "mottagare av sidrespons"
        ordering = ["email"]

    def __str__(self):
        return f"{self.email} ({self.get_frequency_display()})"


class FeedbackKind(models.TextChoices):
    ANSWER = "answer", "svar"
    ACCESSIBILITY_REPORT = "accessibility", "rapport om brist i tillgängligheten"


# A follow-up adds to an answer already counted: it is no second Ja or Nej.
COUNTS_AS_ANSWER = Q(follow_up_of=None)

# What `figures` gives, per group or over everything. The rating counts on
# every counted row, follow-ups included: a follow-up carries the visitor's
# only rating (the widget saves the bare Ja or Nej first).
FIGURES = {
    "answers": Count("pk", filter=COUNTS_AS_ANSWER),
    "yes": Count("pk", filter=COUNTS_AS_ANSWER & Q(helpful=True)),
    "no": Count("pk", filter=COUNTS_AS_ANSWER & Q(helpful=False)),
    "mean_rating": Avg("rating"),
    "rated": Count("rating"),
}


class FeedbackQuerySet(models.QuerySet):
    def counted(self):
        """The rows that count at all: visitors' answers, not what the bot
        checks caught nor reports of accessibility shortcomings."""
        return self.filter(is_spam=False, kind=FeedbackKind.ANSWER)

    def figures(self, *group_by):
        """The one rule for a counted answer, which the report's summary, its
        chart and the digests all use: the number of answers and of Ja and
        Nej (follow-ups not counted again), the mean rating and the number of
        ratings (follow-ups included). Over the whole queryset a dict; with
        `group_by`, a values queryset with the figures per group."""
        counted = self.counted().order_by()
        if group_by:
            return counted.values(*group_by).annotate(**FIGURES)
        return counted.aggregate(**FIGURES)

    def unsent(self):
        """What the next digests take: answers and accessibility reports,
        not what the bot checks caught."""
        return self.filter(is_spam=False, digest__isnull=True)


class Feedback(models.Model):
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name="sida",
        null=True,
        blank=True,
        # A public record: it stays when the page goes.
        on_delete=models.SET_NULL,
        related_name="+",
    )
    page_title = models.CharField("sidans titel", max_length=255)
    page_url = models.CharField("sidans adress", max_length=500)
    owner_email = models.EmailField("sidansvarig", db_index=True)
    # The language of the page the visitor answered on: the English page's
    # answers reach the same owner as the Swedish page's, marked.
    language = models.CharField("språk", max_length=10, default="sv")

    kind = models.CharField(
        "typ",
        max_length=20,
        choices=FeedbackKind.choices,
        default=FeedbackKind.ANSWER,
    )
    # None on an accessibility report, which asks no such question.
    helpful = models.BooleanField("hjälpte informationen", null=True)
    rating = models.PositiveSmallIntegerField(
        "betyg",
        null=True,
        blank=True,
        validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)],
    )
    comment = models.TextField(
        "kommentar",
        blank=True,
        help_text="Utan e-postadresser, telefonnummer och personnummer.",
    )
    comment_as_received = models.TextField("kommentar som den kom in", blank=True)
    contact_email = models.EmailField("besökarens e-postadress", blank=True)
    # An accessibility report's: the path on the site the visitor came from
    # or named (the site's own paths only, without a query string).
    location = models.CharField("var på webbplatsen", max_length=LOCATION_MAX_LENGTH, blank=True)

    is_spam = models.BooleanField("skräp", default=False)
    spam_reason = models.CharField("varför skräp", max_length=40, blank=True)

    created_at = models.DateTimeField("inkom", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("ändrad", auto_now=True)
    digest = models.ForeignKey(
        "Digest",
        verbose_name="sammanställning",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="answers",
    )
    personal_data_erased_at = models.DateTimeField("personuppgifter gallrade", null=True)
    # The widget's later steps, when the answer they add to had already gone
    # into a digest: an answer of its own, whose Ja or Nej is not counted again.
    follow_up_of = models.ForeignKey(
        "self",
        verbose_name="tillägg till",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = "svar"
        verbose_name_plural = "svar"
        ordering = ["-created_at"]
        permissions = [
            (
                "view_comment_as_received",
                "Kan läsa och lämna ut kommentarer som de kom in (registrator)",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True)
                | models.Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX),
                name="feedback_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(kind=FeedbackKind.ACCESSIBILITY_REPORT)
                | models.Q(helpful__isnull=False),
                name="feedback_answer_has_helpful",
            ),
        ]
        indexes = [models.Index(fields=["owner_email", "digest", "is_spam"])]

    def __str__(self):
        if self.kind == FeedbackKind.ACCESSIBILITY_REPORT:
            what = "Rapport om brist i tillgängligheten"
        else:
            what = "Ja" if self.helpful else "Nej"
        return f"{what} på {self.page_title} ({self.created_at:%Y-%m-%d})"


class DigestStatus(models.TextChoices):
    PENDING = "pending", "väntar"
    SENDING = "sending", "skickas"
    SENT = "sent", "skickad"


class Digest(models.Model):
    """One e-mail to one owner address with the answers it takes. Built once,
    with a Message-ID derived from its key, so that a send repeated after a
    crash is the identical message."""

    key = models.CharField("nyckel", max_length=64, unique=True)
    owner_email = models.EmailField("sidansvarig")
    message_id = models.CharField("Message-ID", max_length=255)
    subject = models.CharField("ämne", max_length=255)
    text_body = models.TextField("text")
    html_body = models.TextField("html")

    status = models.CharField(
        "status", max_length=10, choices=DigestStatus.choices, default=DigestStatus.PENDING
    )
    attempts = models.PositiveIntegerField("försök", default=0)
    next_attempt_at = models.DateTimeField("nästa försök", db_index=True)
    claimed_at = models.DateTimeField("påbörjad", null=True, blank=True)
    sent_at = models.DateTimeField("skickad", null=True, blank=True)
    last_error = models.CharField("senaste fel", max_length=500, blank=True)
    created_at = models.DateTimeField("skapad", auto_now_add=True)
    # The digest time whose review reminders ("Sidor att granska") this
    # digest carries, and the reminders as built, so that a rebuild keeps
    # them: one digest per owner and time carries them.
    reminder_slot = models.DateTimeField("påminnelser för", null=True, blank=True)
    reminders = models.JSONField("sidor att granska", default=list, blank=True)

    class Meta:
        verbose_name = "sammanställning"
        verbose_name_plural = "sammanställningar"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_email", "reminder_slot"], name="digest_reminders_once_per_slot"
            ),
        ]

    def __str__(self):
        return f"{self.owner_email} {self.created_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"
