"""The page's shape in the headless API, beside its blocks: one schema per
block type, the body a list discriminated on `type`, so that the OpenAPI
document tells a front-end what each block holds.

Wagtail 8.0.1's v3 API types a StreamField as `list[Any]`; it takes the type
of an `APIField(serializer=…)` from the serializer's return annotation, and
validates what the resolver returns against it, so what is served is what is
documented. The representations themselves are the blocks'
`get_api_representation` (blocks.py).
"""

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from django.utils import translation
from pydantic import BaseModel, ConfigDict, Field, RootModel
from rest_framework.fields import Field as SerializerField
from wagtail.rich_text import expand_db_html

from .blocks import AGREEMENT_CHOICES

# The editor's choices, one list (blocks.py) for the form and the schema.
AgreementType = Literal[tuple(value for value, _ in AGREEMENT_CHOICES)]


class _Schema(BaseModel):
    # A field the block does not document is an error, not extra output.
    model_config = ConfigDict(extra="forbid")


class TwinTown(_Schema):
    """A twin town or partner city."""

    city: str = Field(description="Orten, till exempel Kecskemét.")
    region: str | None = Field(description="Region eller delstat.")
    partner: str | None = Field(description="Samarbetsparten, där den inte är orten själv.")
    country: str
    agreement_type: AgreementType
    areas: list[str] = Field(description="Samarbetsområden; tom när inget utbyte pågår.")
    funding: list[str] = Field(description="Finansiärer.")
    start_year: int
    end_year: int | None
    active: bool
    latitude: float | None = Field(description="Decimalgrader (WGS 84).", ge=-90, le=90)
    longitude: float | None = Field(description="Decimalgrader (WGS 84).", ge=-180, le=180)


class TraineeExchange(_Schema):
    count: int = Field(ge=1)
    origin: str
    host: str
    months: str


class Partnership(_Schema):
    """A partnership agreement and its figures."""

    partner: str
    kind: str
    signed_year: int
    signed_at: str | None
    parties_at_signing: list[str]
    updated_year: int | None
    covers: list[str]
    vision: str | None
    students_benefited: str | None
    trainee_exchanges: list[TraineeExchange]


class BulletList(_Schema):
    items: list[str]


class PublishedContact(_Schema):
    """A published contact person's public data (never an unpublished one)."""

    name: str
    title: str
    unit: str
    phone: str
    email: str


class Contacts(_Schema):
    heading: str
    contacts: list[PublishedContact]


class _Block(_Schema):
    id: str | None = Field(
        description="Blockets id, stabilt mellan versioner; null för ett block som ännu inte "
        "är sparat (i en förhandsgranskning)."
    )


class HeadingItem(_Block):
    type: Literal["heading"]
    value: str = Field(description="En rubrik på nivå 2.")


class ParagraphItem(_Block):
    type: Literal["paragraph"]
    value: str = Field(description="HTML med länkarna upplösta.")


class BulletListItem(_Block):
    type: Literal["bullet_list"]
    value: BulletList


class TwinTownItem(_Block):
    type: Literal["twin_town"]
    value: TwinTown


class PartnershipItem(_Block):
    type: Literal["partnership"]
    value: Partnership


class ContactsItem(_Block):
    type: Literal["contacts"]
    value: Contacts


class BodyItem(
    RootModel[
        Annotated[
            HeadingItem
            | ParagraphItem
            | BulletListItem
            | TwinTownItem
            | PartnershipItem
            | ContactsItem,
            Field(discriminator="type"),
        ]
    ]
):
    """One block of the body: its `type` says which."""

    # A class, not an Annotated alias: Wagtail reads the serializer's return
    # type with get_type_hints, which drops Annotated and with it the
    # discriminator.


class BodyField(SerializerField):
    """The body, typed (see the module's docstring), in the page's language:
    the contacts' English texts on an English page, whatever the API path's
    language."""

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        locale = getattr(instance, "locale", None)
        return (value, locale.language_code) if value is not None and locale else value

    def to_representation(self, value) -> list[BodyItem]:
        if isinstance(value, tuple):
            value, language = value
            with translation.override(language):
                return value.stream_block.get_api_representation(value)
        return value.stream_block.get_api_representation(value)


class PageTranslation(_Schema):
    """Another language version of the page, live and public."""

    id: int
    locale: str = Field(description="Språkkoden, till exempel sv eller en.")
    url: str | None = Field(description="Sidans fullständiga adress.")


class TranslationsField(SerializerField):
    """The page's other live, public language versions (the page itself
    left out): one query."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, page) -> list[PageTranslation]:
        others = (
            type(page)
            .objects.live()
            .public()
            .filter(translation_key=page.translation_key)
            .exclude(pk=page.pk)
            .select_related("locale")
            .order_by("locale__language_code")
        )
        return [
            {"id": other.pk, "locale": other.locale.language_code, "url": other.get_full_url()}
            for other in others
        ]


class LastUpdated(RootModel[datetime]):
    """When anything a visitor sees on the page last changed (the page
    itself, or a contact it shows, published): its "Senast uppdaterad", the
    same time the page shows. ISO 8601."""


class StampField(SerializerField):
    # A class of its own, so that the document carries its description.
    def to_representation(self, value) -> LastUpdated:
        return value


class LastReviewed(RootModel[datetime | None]):
    """When someone last marked the page (or contact) as reviewed
    ("Granskad"): its "Senast granskad", the same time the page shows; null
    if never. UTC, ISO 8601."""


class ReviewDue(RootModel[datetime | None]):
    """When the next review is due: the last review (or the first
    publication) plus the review interval; null for what was never
    published. UTC, ISO 8601."""


def utc(moment):
    return moment.astimezone(UTC) if moment is not None else None


class LastReviewedField(SerializerField):
    def to_representation(self, value) -> LastReviewed:
        return utc(value)


class ReviewDueField(SerializerField):
    def to_representation(self, value) -> ReviewDue:
        return utc(value)


class Shortcoming(_Schema):
    """Content that is not accessible."""

    content: str
    criterion: str = Field(description="WCAG 2.1-kriteriet, nummer och namn, t.ex. 1.1.1 …")
    reason: str
    workaround: str | None
    fix_by: date | None = Field(description="När bristen ska vara åtgärdad; null om obestämt.")


class ShortcomingItem(_Block):
    type: Literal["shortcoming"]
    value: Shortcoming


class Exemption(_Schema):
    content: str
    reason: str


class ExemptionItem(_Block):
    type: Literal["exemption"]
    value: Exemption


class ShortcomingsField(SerializerField):
    def to_representation(self, value) -> list[ShortcomingItem]:
        return value.stream_block.get_api_representation(value)


class ExemptionsField(SerializerField):
    def to_representation(self, value) -> list[ExemptionItem]:
        return value.stream_block.get_api_representation(value)


class RichTextHTMLField(SerializerField):
    """Rich text as real HTML, links resolved (as the body's paragraphs)."""

    def to_representation(self, value) -> str:
        return expand_db_html(value)


__all__ = [
    "BodyField",
    "BodyItem",
    "ExemptionsField",
    "LastReviewedField",
    "PublishedContact",
    "ReviewDueField",
    "RichTextHTMLField",
    "ShortcomingsField",
    "StampField",
    "TranslationsField",
    "TwinTown",
]
