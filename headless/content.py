"""Published content a front-end reads without parsing pages: the published
contacts, and the twin towns of every live public page (for a map or a
timeline). Anonymous; an unknown query parameter is a 400, not ignored (parameters.py)."""

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict

from intl_pages.api import AgreementType, PublishedContact, TwinTown
from intl_pages.blocks import CONTACT_API_FIELDS
from intl_pages.models import Contact, InternationalPage

contacts_router = Router(tags=["contacts"])
twin_towns_router = Router(tags=["twin-towns"])


class ContactOut(PublishedContact):
    id: int


class ContactList(Schema):
    count: int
    items: list[ContactOut]


@contacts_router.get(
    "/",
    response=ContactList,
    url_name="list_contacts",
    summary="Publicerade kontaktpersoner",
    operation_id="contacts_list",
)
def list_contacts(request: HttpRequest):
    contacts = Contact.objects.filter(live=True).order_by("name", "pk")
    items = [
        {"id": c.pk, **{field: getattr(c, field) for field in CONTACT_API_FIELDS}} for c in contacts
    ]
    return {"count": len(items), "items": items}


class PageRef(Schema):
    id: int
    title: str
    url: str | None


class TwinTownOnPage(TwinTown):
    page: PageRef


class TwinTownList(Schema):
    count: int
    items: list[TwinTownOnPage]


class TwinTownFilters(Schema):
    model_config = ConfigDict(extra="forbid")

    active: bool | None = None
    country: str | None = None
    agreement_type: AgreementType | None = None


def twin_towns_of_live_public_pages(request=None):
    """Every twin town on a live, public page, in page then body order, with
    the page it is on."""
    towns = []
    pages = InternationalPage.objects.live().public().order_by("path")
    for page in pages:
        ref = {"id": page.pk, "title": page.title, "url": page.get_url(request)}
        for block in page.body:
            if block.block_type == "twin_town":
                towns.append({**block.block.get_api_representation(block.value), "page": ref})
    return towns


@twin_towns_router.get(
    "/",
    response=TwinTownList,
    url_name="list_twin_towns",
    summary="Vänorter och samarbeten på publicerade sidor",
    operation_id="twin_towns_list",
)
def list_twin_towns(request: HttpRequest, filters: TwinTownFilters = Query(...)):  # noqa: B008
    towns = twin_towns_of_live_public_pages(request)
    if filters.active is not None:
        towns = [t for t in towns if t["active"] is filters.active]
    if filters.country:
        towns = [t for t in towns if t["country"].casefold() == filters.country.casefold()]
    if filters.agreement_type:
        towns = [t for t in towns if t["agreement_type"] == filters.agreement_type]
    return {"count": len(towns), "items": towns}
