"""The content model: the home page, the international-cooperation page and
the contact people it shows."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import connections, models, router
from django.utils import timezone, translation
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PublishingPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import DraftStateMixin, Locale, Page, RevisionMixin
from wagtail.search import index

from .api import (
    BodyField,
    ExemptionsField,
    LastReviewedField,
    ReviewDueField,
    RichTextHTMLField,
    ShortcomingsField,
    StampField,
    TranslationsField,
)
from .blocks import ExemptionsBlock, InternationalPageBodyBlock, ShortcomingsBlock
from .forms import AccessibilityStatementPageForm, ContactForm, HomePageForm, InternationalPageForm
from .signals import stamp_moved

OWNER_EMAIL_PERMISSION = "intl_pages.change_owner_email"
REVIEW_INTERVAL_PERMISSION = "intl_pages.change_review_interval"
# The supervisory authority's form for a shortcoming the site did not fix.
DIGG_REPORT_URL = "https://www.digg.se/tdosanmalan"

phone_validator = RegexValidator(
    regex=r"^\+?[0-9][0-9 \-]{4,24}$",
    message="Skriv telefonnumret med siffror, till exempel 0510-77 00 00 eller +46 510 77 00 00.",
)


def active_language():
    """The active language's code without a region: "sv" or "en"."""
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


def default_owner_email():
    """The owner of a page an editor creates: the web team's address until a
    moderator, who alone may change it, names the right one."""
    return settings.DEFAULT_PAGE_OWNER_EMAIL


def went_live(obj, revision):
    """Whether `revision` is now live on `obj`. Wagtail sends its publish
    signals also when a revision of an object not yet live is only
    scheduled: the one test, for every receiver of them."""
    return bool(getattr(obj, "live", False)) and obj.live_revision_id == getattr(
        revision, "pk", None
    )


_publishing_approved_revision = ContextVar("publishing_approved_revision", default=False)


@contextmanager
def publishing_approved_revision():
    """Publish a revision that was fully validated when it was saved.

    Wagtail validates a page in full (every field, foreign key and
    StreamField block) when a revision is saved, and again when it is
    published. Publishing a scheduled revision later repeats all of it; in
    here only what can have changed since is checked: Wagtail's minimal
    clean (title, slug still free among its siblings). The database's
    constraints hold the rest. It roughly halves a scheduled publish's CPU.
    """
    token = _publishing_approved_revision.set(True)
    try:
        yield
    finally:
        _publishing_approved_revision.reset(token)


class ApprovedRevisionCleanMixin:
    def full_clean(self, *args, **kwargs):
        if _publishing_approved_revision.get():
            self.minimal_clean()
        else:
            super().full_clean(*args, **kwargs)


class SharedOwnerMixin:
    """A translation has the owner address of the page it translates, so
    that answers from the English page reach the same owner: copied on every
    save of the translation, and passed on to the translations when the
    source's address changes."""

    def save(self, *args, **kwargs):
        default_locale_id = Locale.get_default().pk
        translations = type(self).objects.filter(translation_key=self.translation_key)
        if self.locale_id != default_locale_id:
            source = translations.filter(locale_id=default_locale_id).first()
            if source is not None:
                self.owner_email = source.owner_email
        result = super().save(*args, **kwargs)
        if self.locale_id == default_locale_id and self.pk:
            translations.exclude(pk=self.pk).exclude(owner_email=self.owner_email).update(
                owner_email=self.owner_email
            )
        return result


class HomePage(ApprovedRevisionCleanMixin, Page):
    """The start page at /: an introduction and links to the pages under it."""

    introduction = models.TextField(
        "inledning",
        blank=True,
        help_text="Några meningar överst på startsidan.",
    )

    content_panels = Page.content_panels + [FieldPanel("introduction")]
    base_form_class = HomePageForm

    subpage_types = ["intl_pages.InternationalPage", "intl_pages.AccessibilityStatementPage"]
    max_count = 1

    class Meta:
        verbose_name = "startsida"
        verbose_name_plural = "startsidor"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["subpages"] = self.get_children().live().public().specific().order_by("path")
        return context


class ReviewedMixin:
    """Review dates, read from the object's `Review` row (reviews.py): kept
    outside the revisions, as "Senast uppdaterad" is."""

    # Days between reviews; each reviewed type sets its own.
    review_interval_days = 365

    def _review_row(self):
        try:
            return self.review
        except Review.DoesNotExist:
            return None

    @property
    def last_reviewed_at(self):
        row = self._review_row()
        return row.last_reviewed_at if row else None

    @property
    def review_interval(self):
        row = self._review_row()
        return (row and row.interval_days) or self.review_interval_days

    @property
    def review_due_at(self):
        """(last review, or first publication) + the interval; None for an
        object never published."""
        start = self.last_reviewed_at or self.first_published_at
        return start + timedelta(days=self.review_interval) if start else None


class InternationalPage(ReviewedMixin, SharedOwnerMixin, ApprovedRevisionCleanMixin, Page):
    """A page about the municipality's international cooperation."""

    introduction = models.TextField(
        "ingress",
        help_text="En kort sammanfattning som visas överst, i större text.",
    )
    body = StreamField(
        InternationalPageBodyBlock(),
        verbose_name="innehåll",
        help_text="Bygg sidan av rubriker, stycken, punktlistor, vänorter, "
        "partnerskapsavtal och kontaktpersoner, i den ordning de ska visas.",
    )
    owner_email = models.EmailField(
        "sidansvarig",
        default=default_owner_email,
        help_text="Funktionsadressen som visas som sidansvarig och som tar emot "
        "besökarnas återkoppling, till exempel naringsliv@lidkoping.se. Endast "
        "moderatorer och administratörer kan ändra den; en ny sida får "
        "webbredaktionens adress tills någon av dem byter.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("introduction"),
        FieldPanel("body"),
        FieldPanel("owner_email", permission=OWNER_EMAIL_PERMISSION),
    ]
    base_form_class = InternationalPageForm

    search_fields = Page.search_fields + [
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]

    # The page in the headless API (first_published_at comes with every
    # page); the body typed block by block (api.py).
    api_fields = [
        APIField("introduction"),
        APIField("body", serializer=BodyField()),
        APIField("owner_email"),
        APIField("last_updated_at", serializer=StampField()),
        APIField("translations", serializer=TranslationsField()),
        APIField("last_reviewed_at", serializer=LastReviewedField()),
        APIField("review_due_at", serializer=ReviewDueField()),
    ]

    parent_page_types = ["intl_pages.HomePage"]
    subpage_types = []
    # Days between reviews (R26) unless a moderator sets the page's own.
    review_interval_days = 365

    class Meta:
        verbose_name = "sida om internationellt samarbete"
        verbose_name_plural = "sidor om internationellt samarbete"
        permissions = [
            ("change_owner_email", "Kan ändra sidansvarig (mottagare av återkoppling)"),
        ]

    @property
    def last_updated_at(self):
        """'Senast uppdaterad': kept in PageUpdateStamp, outside the revisions."""
        try:
            return self.update_stamp.updated_at
        except PageUpdateStamp.DoesNotExist:
            return self.last_published_at

    def body_sections(self):
        """The body as a list of (block type, blocks), consecutive twin towns
        grouped, so that the template renders them as one list."""
        groups = []
        for block in self.body:
            if block.block_type == "twin_town" and groups and groups[-1][0] == "twin_towns":
                groups[-1][1].append(block)
            elif block.block_type == "twin_town":
                groups.append(("twin_towns", [block]))
            else:
                groups.append((block.block_type, [block]))
        return groups


class Compliance(models.TextChoices):
    FULL = "helt", "helt förenlig"
    PARTIAL = "delvis", "delvis förenlig"
    NONE = "inte", "inte förenlig"


class AccessibilityStatementPage(ReviewedMixin, SharedOwnerMixin, ApprovedRevisionCleanMixin, Page):
    """The site's accessibility statement (tillgänglighetsredogörelse), with
    the parts DIGG's guidance under lag (2018:1937) asks for, in its order.

    Its owner address gets the visitors' reports of shortcomings in the
    digests, as a page owner gets the answers of a page."""

    organisation = models.CharField(
        "organisation",
        max_length=150,
        help_text="Vem som står bakom webbplatsen, till exempel Lidköpings kommun.",
    )
    service = models.CharField(
        "webbplats eller tjänst",
        max_length=200,
        help_text="Vad redogörelsen gäller, med adress, till exempel "
        "”webbplatsen om internationella samarbeten, lidkoping.se”.",
    )
    compliance = models.CharField(
        "förenlighet med lagen",
        max_length=10,
        choices=Compliance.choices,
        default=Compliance.PARTIAL,
        help_text="Hur väl webbplatsen uppfyller lagen om tillgänglighet till digital "
        "offentlig service (WCAG 2.1 nivå AA). Välj ”helt förenlig” bara om inga brister "
        "finns kvar nedan.",
    )
    shortcomings = StreamField(
        ShortcomingsBlock(),
        blank=True,
        verbose_name="innehåll som inte är tillgängligt",
        help_text="En rad per brist: vad, vilket WCAG 2.1-kriterium, varför, hur besökaren "
        "kommer runt det och när den ska vara åtgärdad.",
    )
    disproportionate_burden = StreamField(
        ExemptionsBlock(),
        blank=True,
        verbose_name="oskäligt betungande anpassning (12 §)",
        help_text="Innehåll som inte tillgängliggörs för att det vore oskäligt betungande, "
        "med skälen. Lämna tomt om inget sådant finns.",
    )
    outside_scope = StreamField(
        ExemptionsBlock(),
        blank=True,
        verbose_name="innehåll som inte omfattas av lagen (9 §)",
        help_text="Till exempel filer publicerade före den 23 september 2018 som inte behövs "
        "för pågående ärenden, eller förinspelad video från före den 23 september 2020.",
    )
    evaluation_method = RichTextField(
        "hur webbplatsen har granskats",
        features=["bold", "italic", "link", "ul", "ol"],
        help_text="Vilken metod, vilka verktyg, vilka sidor och lägen, och vem som granskade.",
    )
    evaluated_on = models.DateField("granskad", help_text="Dagen då granskningen senast gjordes.")
    statement_updated_on = models.DateField(
        "redogörelsen uppdaterad",
        help_text="Dagen då redogörelsen senast uppdaterades; ändra den när du ändrar innehållet.",
    )
    feedback_text = RichTextField(
        "rapportera brister och be om tillgängligt innehåll",
        features=["bold", "italic", "link", "ul", "ol"],
        help_text="Hur besökaren rapporterar en brist eller ber om innehåll i ett "
        "tillgängligt format: e-post, telefon och svarstid. Sidan länkar själv till "
        "formuläret Rapportera brist i tillgängligheten.",
    )
    supervision_url = models.URLField(
        "adress för anmälan till DIGG",
        default=DIGG_REPORT_URL,
        help_text="Myndigheten för digital förvaltnings sida för anmälan. Ändra bara om "
        "DIGG flyttar den.",
    )
    owner_email = models.EmailField(
        "sidansvarig",
        default=default_owner_email,
        help_text="Funktionsadressen som ansvarar för redogörelsen och som tar emot "
        "besökarnas rapporter om brister. Endast moderatorer och administratörer kan "
        "ändra den.",
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("organisation"), FieldPanel("service")],
            heading="Vem och vad",
        ),
        FieldPanel("compliance"),
        FieldPanel("shortcomings"),
        FieldPanel("disproportionate_burden"),
        FieldPanel("outside_scope"),
        MultiFieldPanel(
            [FieldPanel("evaluation_method"), FieldPanel("evaluated_on")],
            heading="Granskning",
        ),
        FieldPanel("statement_updated_on"),
        FieldPanel("feedback_text"),
        FieldPanel("supervision_url"),
        FieldPanel("owner_email", permission=OWNER_EMAIL_PERMISSION),
    ]
    base_form_class = AccessibilityStatementPageForm

    search_fields = Page.search_fields + [index.SearchField("shortcomings")]

    api_fields = [
        APIField("organisation"),
        APIField("service"),
        APIField("compliance"),
        APIField("shortcomings", serializer=ShortcomingsField()),
        APIField("disproportionate_burden", serializer=ExemptionsField()),
        APIField("outside_scope", serializer=ExemptionsField()),
        APIField("evaluation_method", serializer=RichTextHTMLField()),
        APIField("evaluated_on"),
        APIField("statement_updated_on"),
        APIField("feedback_text", serializer=RichTextHTMLField()),
        APIField("supervision_url"),
        APIField("owner_email"),
        APIField("last_reviewed_at", serializer=LastReviewedField()),
        APIField("review_due_at", serializer=ReviewDueField()),
    ]

    parent_page_types = ["intl_pages.HomePage"]
    subpage_types = []
    # One per site: per home page, so that a translation under another
    # locale's home page may have its own.
    max_count_per_parent = 1
    # The law asks for the statement to be reviewed at least once a year.
    review_interval_days = 365
    # The feedback app's report form takes reports for this page (duck-typed:
    # the apps do not import each other).
    takes_accessibility_reports = True

    class Meta:
        verbose_name = "tillgänglighetsredogörelse"
        verbose_name_plural = "tillgänglighetsredogörelser"


class PageUpdateStampManager(models.Manager):
    def move_forward(self, page_id, when=None, announce=True):
        """Move a page's "Senast uppdaterad" forward to `when` (default: now).

        Never moves it back: a late or repeated call is harmless. One
        statement, an upsert, on PostgreSQL as on SQLite: it runs in every
        publish, and two concurrent publishes of a page without a stamp both
        end with the later time (a get-then-save would let the earlier win).
        Returns whether the stamp moved (or was created). `announce=False`
        for a move that is part of a change told on its own (a page's
        publish, a contact's change): no `stamp_moved` then.
        """
        when = when or timezone.now()
        moved = self._upsert([page_id], when) == 1
        if moved and announce:
            stamp_moved.send(sender=self.model, page_id=page_id, updated_at=when)
        return moved

    def move_forward_all(self, page_ids, when):
        """Move the stamps of all `page_ids` forward to `when`, in one
        statement, as part of a change told on its own (no `stamp_moved`).
        Returns how many moved."""
        return self._upsert(page_ids, when) if page_ids else 0

    def _upsert(self, page_ids, when):
        meta = self.model._meta
        connection = connections[router.db_for_write(self.model)]
        quote = connection.ops.quote_name
        table = quote(meta.db_table)
        page_col = quote(meta.get_field("page").column)
        at_col = quote(meta.get_field("updated_at").column)
        # Only quoted names from the model's own meta are interpolated.
        upsert = (
            f"INSERT INTO {table} ({page_col}, {at_col}) VALUES "  # noqa: S608
            + ", ".join(["(%s, %s)"] * len(page_ids))
            + f" ON CONFLICT ({page_col}) DO UPDATE SET {at_col} = excluded.{at_col} "
            f"WHERE {table}.{at_col} < excluded.{at_col}"
        )
        at = connection.ops.adapt_datetimefield_value(when)
        with connection.cursor() as cursor:
            cursor.execute(upsert, [value for pk in page_ids for value in (pk, at)])
            return cursor.rowcount


class PageUpdateStamp(models.Model):
    """The "Senast uppdaterad" time of a page.

    A model of its own rather than a page field: Wagtail copies every page
    field into each revision, so publishing (or reverting to) an old
    revision would write an old stamp back. This row is never revisioned.
    """

    page = models.OneToOneField(
        Page,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="update_stamp",
        verbose_name="sida",
    )
    updated_at = models.DateTimeField("senast uppdaterad")

    objects = PageUpdateStampManager()

    class Meta:
        verbose_name = "senast uppdaterad-stämpel"
        verbose_name_plural = "senast uppdaterad-stämplar"

    def __str__(self):
        return f"{self.page_id}: {self.updated_at.isoformat()}"


class Contact(ReviewedMixin, DraftStateMixin, RevisionMixin, index.Indexed, models.Model):
    """A contact person that pages can show.

    Drafts, revisions and scheduling as for pages: a page shows a contact's
    published data only.
    """

    name = models.CharField("namn", max_length=150)
    title = models.CharField(
        "titel", max_length=150, help_text="Yrkestitel, till exempel Utvecklingsledare."
    )
    unit = models.CharField(
        "enhet", max_length=150, help_text="Enhet eller avdelning, till exempel Samhälle."
    )
    # The English page's texts, in the same row: one person, one phone
    # number, one stamp, whichever language a page is in.
    title_en = models.CharField(
        "titel på engelska",
        max_length=150,
        blank=True,
        help_text="Visas på de engelska sidorna, till exempel Development manager. "
        "Tom: den svenska titeln visas.",
    )
    unit_en = models.CharField(
        "enhet på engelska",
        max_length=150,
        blank=True,
        help_text="Visas på de engelska sidorna, till exempel Community development. "
        "Tom: den svenska enheten visas.",
    )
    phone = models.CharField(
        "telefon",
        max_length=30,
        validators=[phone_validator],
        help_text="Till exempel 0510-77 00 00.",
    )
    email = models.EmailField("e-post")

    panels = [
        FieldPanel("name"),
        MultiFieldPanel(
            [FieldPanel("title"), FieldPanel("unit")],
            heading="Roll",
        ),
        MultiFieldPanel(
            [FieldPanel("title_en"), FieldPanel("unit_en")],
            heading="Roll på engelska",
        ),
        MultiFieldPanel(
            [FieldPanel("phone"), FieldPanel("email")],
            heading="Kontaktuppgifter",
        ),
        PublishingPanel(),
    ]
    base_form_class = ContactForm
    # A phone number goes stale unseen: twice a year.
    review_interval_days = 180

    search_fields = [
        index.SearchField("name"),
        index.SearchField("title"),
        index.AutocompleteField("name"),
        index.AutocompleteField("title"),
    ]

    class Meta:
        verbose_name = "kontaktperson"
        verbose_name_plural = "kontaktpersoner"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.title})"

    def title_in(self, language):
        """The title in `language` ("sv", "en"): the Swedish one where no
        translation is written."""
        return (language == "en" and self.title_en) or self.title

    def unit_in(self, language):
        return (language == "en" and self.unit_en) or self.unit

    @property
    def localized_title(self):
        """The title in the active language (a page being rendered or an API
        call with ?locale=)."""
        return self.title_in(active_language())

    @property
    def localized_unit(self):
        return self.unit_in(active_language())

    @property
    def phone_uri(self):
        """The number for a tel: link: digits only, +46 for a Swedish number."""
        digits = "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")
        if digits.startswith("+"):
            return digits
        if digits.startswith("0"):
            return "+46" + digits[1:]
        return digits


class Review(models.Model):
    """The last review (granskning, R23/R26) of a page or a contact, and a
    moderator's own interval for it.

    A row of its own, like PageUpdateStamp, rather than fields on the page:
    Wagtail copies every page field into each revision and back on publish,
    so a later publish of an older draft would write an old review date (or
    interval) back, and a review would need a revision of its own. This row
    is never revisioned; a review touches neither the page's revisions nor
    its "Senast uppdaterad". The interval lives here too, for the same
    reason, and is changed only in the "Granskad" view by those with
    REVIEW_INTERVAL_PERMISSION (moderators), as only they may change the
    owner address.
    """

    page = models.OneToOneField(
        Page,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="review",
        verbose_name="sida",
    )
    contact = models.OneToOneField(
        Contact,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="review",
        verbose_name="kontaktperson",
    )
    last_reviewed_at = models.DateTimeField("senast granskad", null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="granskad av",
    )
    interval_days = models.PositiveIntegerField(
        "granskningsintervall (dagar)",
        null=True,
        blank=True,
        help_text="Lämna tomt för sidtypens standard.",
    )

    class Meta:
        verbose_name = "granskning"
        verbose_name_plural = "granskningar"
        permissions = [
            ("change_review_interval", "Kan ändra granskningsintervall"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(page__isnull=False, contact__isnull=True)
                | models.Q(page__isnull=True, contact__isnull=False),
                name="review_of_a_page_or_a_contact",
            ),
            models.CheckConstraint(
                condition=models.Q(interval_days__isnull=True) | models.Q(interval_days__gte=1),
                name="review_interval_positive",
            ),
        ]

    def __str__(self):
        return f"{self.page_id or self.contact_id}: {self.last_reviewed_at}"
