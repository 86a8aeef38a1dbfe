"""Published content a front-end reads without parsing pages: the published
contacts, and the twin towns of every live public page (for a map or a
timeline). Anonymous; an unknown query parameter is a 400, not ignored (parameters.py).

`?locale=` (sv, the default, or en) is the language: the towns of the pages
in that language, the contacts' titles and units in it (one contact, one
row, whatever the language: their English texts are fields beside the
Swedish ones).

Both are paginated as Wagtail's listings are (`limit`, `offset`, `count`;
`limit` at most WAGTAILAPI_LIMIT_MAX) and cost the same number of queries
whatever the number of pages: the towns come from each page's stored body,
without building its other blocks (a contacts block asks the database)."""

from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict, Field
from wagtail.api.v3.pagination import WagtailLimitOffsetPagination

from intl_pages.api import (
    AgreementType,
    LastReviewed,
    PublishedContact,
    ReviewDue,
    TwinTown,
)
from intl_pages.models import Contact, InternationalPage

contacts_router = Router(tags=["contacts"])
twin_towns_router = Router(tags=["twin-towns"])


# The site's languages (settings.LANGUAGES), as the document's enumeration.
LocaleCode = Literal[tuple(code for code, _name in settings.LANGUAGES)]


class ContactOut(PublishedContact):
    # Read from the contacts themselves (their review dates are properties).
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    id: int
    last_reviewed_at: LastReviewed = Field(
        description="När kontaktuppgifterna senast markerades som granskade; null om aldrig. UTC."
    )
    review_due_at: ReviewDue = Field(
        description="När nästa granskning ska vara gjord (senaste granskningen, eller första "
        "publiceringen, plus granskningsintervallet). UTC."
    )


class ContactFilters(Schema):
    model_config = ConfigDict(extra="forbid")

    locale: LocaleCode | None = Field(
        None, description="Språket för titel och enhet: sv (standard) eller en."
    )


@contacts_router.get(
    "/",
    response=list[ContactOut],
    url_name="list_contacts",
    summary="Publicerade kontaktpersoner",
    operation_id="contacts_list",
)
@paginate(WagtailLimitOffsetPagination)
def list_contacts(request: HttpRequest, filters: ContactFilters = Query(...), **kwargs):  # noqa: B008
    # The row holds what is published; a draft's changes are in revisions.
    contacts = Contact.objects.filter(live=True).select_related("review").order_by("name", "pk")
    return InLanguage(contacts, filters.locale or settings.LANGUAGE_CODE)


class InLanguage:
    """The contacts, each with its title and unit in `language` (the Swedish
    ones where no English is written) as it is read: the paginator slices
    this, so only the page's slice is read, as from the queryset itself."""

    def __init__(self, contacts, language):
        self.contacts = contacts
        self.language = language

    def all(self):
        return self.contacts.all()  # the paginator's count

    def __getitem__(self, index):
        found = self.contacts[index]
        if isinstance(index, slice):
            return [self._in_language(contact) for contact in found]
        return self._in_language(found)

    def _in_language(self, contact):
        if self.language == "en":
            contact.title = contact.title_en or contact.title
            contact.unit = contact.unit_en or contact.unit
        return contact


class PageRef(Schema):
    id: int
    title: str
    url: str | None


class TwinTownOnPage(TwinTown):
    page: PageRef


class TwinTownFilters(Schema):
    model_config = ConfigDict(extra="forbid")

    active: bool | None = None
    country: str | None = None
    agreement_type: AgreementType | None = None
    locale: LocaleCode | None = Field(
        None, description="Språket på sidorna som orterna står på: sv (standard) eller en."
    )


def twin_towns_of_live_public_pages(request=None, language=None):
    """Every twin town on a live, public page, in page then body order, with
    the page it is on. Only the twin town items of each stored body are
    built: the others may ask the database (a contacts block does), once per
    page."""
    towns = []
    block = InternationalPage.body.field.stream_block.child_blocks["twin_town"]
    pages = (
        InternationalPage.objects.live()
        .public()
        .filter(locale__language_code=language or settings.LANGUAGE_CODE)
        .order_by("path")
    )
    for page in pages:
        ref = {"id": page.pk, "title": page.title, "url": page.get_url(request)}
        for item in page.body.raw_data:
            if item["type"] == "twin_town":
                value = block.to_python(item["value"])
                towns.append({**block.get_api_representation(value), "page": ref})
    return towns


@twin_towns_router.get(
    "/",
    response=list[TwinTownOnPage],
    url_name="list_twin_towns",
    summary="Vänorter och samarbeten på publicerade sidor",
    operation_id="twin_towns_list",
)
@paginate(WagtailLimitOffsetPagination)
def list_twin_towns(request: HttpRequest, filters: TwinTownFilters = Query(...), **kwargs):  # noqa: B008
    towns = twin_towns_of_live_public_pages(request, filters.locale)
    if filters.active is not None:
        towns = [t for t in towns if t["active"] is filters.active]
    if filters.country:
        towns = [t for t in towns if t["country"].casefold() == filters.country.casefold()]
    if filters.agreement_type:
        towns = [t for t in towns if t["agreement_type"] == filters.agreement_type]
    return towns
