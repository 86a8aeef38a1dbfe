"""Published content a front-end reads without parsing pages: the published
contacts, and the twin towns of every live public page (for a map or a
timeline). Anonymous; an unknown query parameter is a 400, not ignored (parameters.py).

Both are paginated as Wagtail's listings are (`limit`, `offset`, `count`;
`limit` at most WAGTAILAPI_LIMIT_MAX) and cost the same number of queries
whatever the number of pages: the towns come from each page's stored body,
without building its other blocks (a contacts block asks the database)."""

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


@contacts_router.get(
    "/",
    response=list[ContactOut],
    url_name="list_contacts",
    summary="Publicerade kontaktpersoner",
    operation_id="contacts_list",
)
@paginate(WagtailLimitOffsetPagination)
def list_contacts(request: HttpRequest, **kwargs):
    # The row holds what is published; a draft's changes are in revisions.
    # The page's slice only is read (the paginator slices the queryset);
    # the review dates are the contact's own properties, UTC as stored.
    return Contact.objects.filter(live=True).select_related("review").order_by("name", "pk")


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


def twin_towns_of_live_public_pages(request=None):
    """Every twin town on a live, public page, in page then body order, with
    the page it is on. Only the twin town items of each stored body are
    built: the others may ask the database (a contacts block does), once per
    page."""
    towns = []
    block = InternationalPage.body.field.stream_block.child_blocks["twin_town"]
    pages = InternationalPage.objects.live().public().order_by("path")
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
    towns = twin_towns_of_live_public_pages(request)
    if filters.active is not None:
        towns = [t for t in towns if t["active"] is filters.active]
    if filters.country:
        towns = [t for t in towns if t["country"].casefold() == filters.country.casefold()]
    if filters.agreement_type:
        towns = [t for t in towns if t["agreement_type"] == filters.agreement_type]
    return towns
