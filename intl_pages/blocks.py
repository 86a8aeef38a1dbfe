"""StreamField blocks of the international-cooperation page.

Labels and help texts are written for the editor; each block renders with its
own template under templates/intl_pages/blocks/.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.rich_text import expand_db_html
from wagtail.snippets.blocks import SnippetChooserBlock

# The values are Swedish in every language version: the page shows each
# through the translation catalog (gettext_noop marks them for it).
AGREEMENT_CHOICES = [
    (value, value)
    for value in (
        gettext_noop("Vänortsavtal"),
        gettext_noop("Industriellt partnerskapsavtal"),
        gettext_noop("Samarbetsavtal"),
        gettext_noop("Inget aktivt samarbetsavtal"),
    )
]

# What a front-end gets of a published contact.
CONTACT_API_FIELDS = ("name", "title", "unit", "phone", "email")


def contact_api_data(contact):
    """A contact's public data, its title and unit in the active language."""
    data = {field: getattr(contact, field) for field in CONTACT_API_FIELDS}
    data["title"], data["unit"] = contact.localized_title, contact.localized_unit
    return data


# A preview of changes not yet published (a release's) renders contacts from
# their pending revisions: {contact pk: the contact as it will be, or None
# for one that will be unpublished}. Empty outside such a preview.
_shown_contacts = ContextVar("shown_contacts", default=None)


@contextmanager
def showing_contacts(contacts):
    """Render with `contacts` ({pk: Contact or None}) in place of the
    published rows, for as long as the block is inside."""
    token = _shown_contacts.set(dict(contacts))
    try:
        yield
    finally:
        _shown_contacts.reset(token)


YEAR_MIN = 1900
YEAR_MAX = 2100


class HeadingBlock(blocks.CharBlock):
    """A section heading (h2): it appears in the page's outline."""

    def __init__(self, **kwargs):
        super().__init__(
            max_length=120,
            label="Rubrik",
            help_text="Rubrik för ett avsnitt på sidan (nivå 2).",
            form_classname="title",
            **kwargs,
        )

    class Meta:
        icon = "title"
        template = "intl_pages/blocks/heading.html"


class BulletListBlock(blocks.StructBlock):
    items = blocks.ListBlock(
        blocks.CharBlock(max_length=300, label="Punkt"),
        min_num=1,
        label="Punkter",
    )

    class Meta:
        icon = "list-ul"
        label = "Punktlista"
        template = "intl_pages/blocks/bullet_list.html"


class TwinTownBlock(blocks.StructBlock):
    """One twin town or partner city, with its agreement and areas."""

    city = blocks.CharBlock(max_length=100, label="Ort", help_text="Till exempel Kecskemét.")
    region = blocks.CharBlock(
        max_length=100,
        required=False,
        label="Region eller delstat",
        help_text="Frivilligt. Till exempel Illinois eller Chengdu.",
    )
    partner = blocks.CharBlock(
        max_length=150,
        required=False,
        label="Samarbetspart",
        help_text="Frivilligt: organisationen vi samarbetar med, om det inte är orten "
        "själv. Till exempel Lusaka City Council.",
    )
    country = blocks.CharBlock(max_length=100, label="Land")
    agreement = blocks.ChoiceBlock(choices=AGREEMENT_CHOICES, label="Typ av avtal")
    areas = blocks.ListBlock(
        blocks.CharBlock(max_length=100, label="Område"),
        label="Samarbetsområden",
        help_text="Ett område per rad. Lämna tomt om det inte finns något aktivt utbyte: "
        "sidan visar då ”Inget aktivt utbyte”.",
    )
    funding = blocks.ListBlock(
        blocks.CharBlock(max_length=150, label="Finansiär"),
        label="Finansiering",
        help_text="En finansiär per rad, till exempel Kommunerna eller EU.",
    )
    start_year = blocks.IntegerBlock(min_value=YEAR_MIN, max_value=YEAR_MAX, label="Startår")
    end_year = blocks.IntegerBlock(
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        required=False,
        label="Slutår",
        help_text="Frivilligt. Fyll i om samarbetet har upphört.",
    )
    active = blocks.BooleanBlock(
        required=False,
        default=True,
        label="Aktivt samarbete",
        help_text="Bocka ur om samarbetet inte längre är aktivt.",
    )
    latitude = blocks.DecimalBlock(
        required=False,
        min_value=-90,
        max_value=90,
        decimal_places=6,
        label="Latitud",
        help_text="Frivilligt, för en karta. Decimalgrader, till exempel 46.9062.",
    )
    longitude = blocks.DecimalBlock(
        required=False,
        min_value=-180,
        max_value=180,
        decimal_places=6,
        label="Longitud",
        help_text="Frivilligt, för en karta. Decimalgrader, till exempel 19.6913.",
    )

    def get_api_representation(self, value, context=None):
        # `agreement_type` for a front-end (the block's own name reads well
        # only in the editor's form); coordinates as numbers, not strings.
        def number(decimal):
            return None if decimal is None else float(decimal)

        return {
            "city": value["city"],
            "region": value["region"] or None,
            "partner": value["partner"] or None,
            "country": value["country"],
            "agreement_type": value["agreement"],
            "areas": list(value["areas"]),
            "funding": list(value["funding"]),
            "start_year": value["start_year"],
            "end_year": value["end_year"],
            "active": bool(value["active"]),
            "latitude": number(value["latitude"]),
            "longitude": number(value["longitude"]),
        }

    def clean(self, value):
        value = super().clean(value)
        errors = {}
        start, end = value.get("start_year"), value.get("end_year")
        if start is not None and end is not None and end < start:
            errors["end_year"] = ValidationError(
                "Slutåret kan inte ligga före startåret (%(start)s).",
                params={"start": start},
            )
        has_lat = value.get("latitude") is not None
        has_lng = value.get("longitude") is not None
        if has_lat != has_lng:
            missing = "longitude" if has_lat else "latitude"
            errors[missing] = ValidationError(
                "Fyll i både latitud och longitud, eller ingen av dem."
            )
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    class Meta:
        icon = "site"
        label = "Vänort eller samarbete"
        template = "intl_pages/blocks/twin_town.html"


class TraineeExchangeBlock(blocks.StructBlock):
    count = blocks.IntegerBlock(min_value=1, label="Antal traineer")
    origin = blocks.CharBlock(max_length=100, label="Från", help_text="Till exempel Lidköping.")
    host = blocks.CharBlock(
        max_length=150,
        label="Hos",
        help_text="Var traineerna har arbetat, till exempel näringslivsbolaget i Rockford.",
    )
    months = blocks.CharBlock(
        max_length=20,
        label="Antal månader",
        help_text="En siffra eller ett intervall, till exempel 9 eller 3–8.",
    )

    class Meta:
        icon = "group"
        label = "Traineeutbyte"


class PartnershipBlock(blocks.StructBlock):
    """A partnership agreement and its figures, such as the one with Rockford."""

    partner = blocks.CharBlock(
        max_length=150, label="Partner", help_text="Till exempel Rockford, Illinois, USA."
    )
    kind = blocks.CharBlock(
        max_length=150,
        label="Typ av avtal",
        help_text="Till exempel Industriellt partnerskapsavtal.",
    )
    signed_year = blocks.IntegerBlock(
        min_value=YEAR_MIN, max_value=YEAR_MAX, label="Undertecknat år"
    )
    signed_at = blocks.CharBlock(
        max_length=200,
        required=False,
        label="Undertecknat vid",
        help_text="Frivilligt. Till exempel Svensk-Amerikanska Entreprenörsdagarna i Lidköping.",
    )
    parties_at_signing = blocks.ListBlock(
        blocks.CharBlock(max_length=150, label="Part"),
        label="Parter vid undertecknandet",
    )
    updated_year = blocks.IntegerBlock(
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        required=False,
        label="Uppdaterat år",
    )
    covers = blocks.ListBlock(
        blocks.CharBlock(max_length=200, label="Part"),
        label="Avtalet omfattar i dag",
    )
    vision = blocks.CharBlock(max_length=200, required=False, label="Vision")
    students_benefited = blocks.CharBlock(
        max_length=50,
        required=False,
        label="Studenter som har gynnats",
        help_text="Till exempel ”över 140”.",
    )
    trainee_exchanges = blocks.ListBlock(TraineeExchangeBlock(), label="Traineeutbyten", default=[])

    # Optional text a front-end reads as absent, not as an empty string.
    OPTIONAL_TEXT = ("signed_at", "vision", "students_benefited")

    def get_api_representation(self, value, context=None):
        representation = super().get_api_representation(value, context)
        for name in self.OPTIONAL_TEXT:
            representation[name] = representation[name] or None
        return representation

    def clean(self, value):
        value = super().clean(value)
        signed, updated = value.get("signed_year"), value.get("updated_year")
        if signed is not None and updated is not None and updated < signed:
            raise StructBlockValidationError(
                block_errors={
                    "updated_year": ValidationError(
                        "Avtalet kan inte ha uppdaterats före det undertecknades (%(year)s).",
                        params={"year": signed},
                    )
                }
            )
        return value

    class Meta:
        icon = "doc-full"
        label = "Partnerskapsavtal"
        template = "intl_pages/blocks/partnership.html"


class ContactsBlock(blocks.StructBlock):
    """Contact people, chosen from the shared contact list (snippets).

    Only published contacts are shown: a contact that was never published, or
    whose publication has expired, is left out, and a draft change shows only
    once it is published.
    """

    heading = blocks.CharBlock(max_length=120, default="Kontakt", label="Rubrik")
    contacts = blocks.ListBlock(
        SnippetChooserBlock("intl_pages.Contact", label="Kontaktperson"),
        min_num=1,
        label="Kontaktpersoner",
    )

    def published_contacts(self, value):
        """The chosen contacts a visitor may see, in the editor's order: the
        one rule that the template and the API representation both follow.

        The contact rows hold their published data (a draft change lives in a
        revision until it is published), so `live` is all there is to check.
        A contact deleted since it was chosen comes back as None.
        """
        shown = _shown_contacts.get()
        if shown:
            value_contacts = [
                shown.get(contact.pk, contact) if contact is not None else None
                for contact in value["contacts"]
            ]
        else:
            value_contacts = value["contacts"]
        return [contact for contact in value_contacts if contact is not None and contact.live]

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["published_contacts"] = self.published_contacts(value)
        return context

    def get_api_representation(self, value, context=None):
        # The default would be `get_prep_value`: every chosen contact's id,
        # unpublished ones included.
        return {
            "heading": value["heading"],
            "contacts": [contact_api_data(contact) for contact in self.published_contacts(value)],
        }

    class Meta:
        icon = "user"
        label = "Kontaktpersoner"
        template = "intl_pages/blocks/contacts.html"


class ParagraphBlock(blocks.RichTextBlock):
    def get_api_representation(self, value, context=None):
        # Real HTML, links resolved, whatever WAGTAILAPI_RICH_TEXT_FORMAT or
        # the request's ?rich_text_format= ask: the database format
        # (<a linktype="page" id="…">) means nothing to a front-end.
        return expand_db_html(value.source)


class InternationalPageBodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = ParagraphBlock(
        features=["bold", "italic", "link", "document-link"],
        label="Stycke",
        icon="pilcrow",
        template="intl_pages/blocks/paragraph.html",
    )
    bullet_list = BulletListBlock()
    twin_town = TwinTownBlock()
    partnership = PartnershipBlock()
    contacts = ContactsBlock()


# The number of a WCAG 2.1 success criterion, such as 1.1.1 or 2.4.11.
WCAG_CRITERION_PATTERN = r"^[1-4]\.[1-9][0-9]?\.[1-9][0-9]?(?![0-9.])"


def optional_text(text):
    return text or None


class ShortcomingBlock(blocks.StructBlock):
    """Content that is not accessible, as DIGG's guidance asks it told: what,
    against which WCAG 2.1 criterion, why, how to get around it, and when it
    is to be fixed."""

    content = blocks.CharBlock(
        max_length=200,
        label="Innehåll som inte är tillgängligt",
        help_text="Vad det gäller, så som besökaren känner igen det, till exempel "
        "”Inskannade PDF-dokument”.",
    )
    criterion = blocks.RegexBlock(
        regex=WCAG_CRITERION_PATTERN,
        max_length=120,
        label="WCAG 2.1-kriterium",
        help_text="Numret och namnet på kriteriet som inte uppfylls, till exempel "
        "1.1.1 Icke-textuellt innehåll.",
        error_messages={
            "invalid": "Börja med kriteriets nummer, till exempel 1.1.1 Icke-textuellt innehåll."
        },
    )
    reason = blocks.TextBlock(
        label="Varför",
        help_text="Vad bristen är och varför den finns, i vanliga ord.",
    )
    workaround = blocks.TextBlock(
        required=False,
        label="Så kommer besökaren runt det",
        help_text="Frivilligt. Hur besökaren ändå kan ta del av innehållet, till exempel "
        "genom att be om det i ett annat format.",
    )
    fix_by = blocks.DateBlock(
        required=False,
        label="Åtgärdas senast",
        help_text="Frivilligt. När bristen ska vara åtgärdad; lämna tomt om det inte är "
        "bestämt, så står det på sidan.",
    )

    def get_api_representation(self, value, context=None):
        return {
            "content": value["content"],
            "criterion": value["criterion"],
            "reason": value["reason"],
            "workaround": optional_text(value["workaround"]),
            "fix_by": value["fix_by"].isoformat() if value["fix_by"] else None,
        }

    class Meta:
        icon = "warning"
        label = "Brist i tillgängligheten"
        template = "intl_pages/blocks/shortcoming.html"


class ExemptionBlock(blocks.StructBlock):
    """Content that the statement names and why it is not made accessible:
    an unreasonable burden (§ 12), or outside the law (§ 9)."""

    content = blocks.CharBlock(
        max_length=200,
        label="Innehåll",
        help_text="Vad det gäller, till exempel ”Inspelade webbsändningar från före 2020”.",
    )
    reason = blocks.TextBlock(
        label="Skäl",
        help_text="Varför det undantas, med hänvisning till lagen där det går.",
    )

    def get_api_representation(self, value, context=None):
        return {"content": value["content"], "reason": value["reason"]}

    class Meta:
        icon = "help"
        label = "Undantag"
        template = "intl_pages/blocks/exemption.html"


class ShortcomingsBlock(blocks.StreamBlock):
    shortcoming = ShortcomingBlock()


class ExemptionsBlock(blocks.StreamBlock):
    exemption = ExemptionBlock()
