"""`GET /api/v3/preview/?token=…`: the page an editor previews, in the page
detail's schema, for a front-end holding the token (see preview.py): a
page's unsaved state, or a page as a release will make it."""

from django.http import Http404, HttpRequest, JsonResponse
from ninja import Router
from wagtail.api.v3.routers.pages import PageDetailSchema

from . import preview

router = Router(tags=["preview"])


@router.get(
    "/",
    response=PageDetailSchema,
    url_name="preview_page",
    summary="Förhandsgranskning för en front-end",
    description="Sidan som redaktören förhandsgranskar, med ändringar som inte är sparade; "
    "eller sidan som den blir när en utgåva har publicerats (sidans version i utgåvan och "
    "utgåvans versioner av kontaktpersonerna, så som utgåvan ser ut när token används). "
    "`token` kommer från redaktörens knapp ”Förhandsgranska i front-end” (på sidan eller i "
    "utgåvan) och gäller en begränsad tid (HEADLESS_PREVIEW_SECONDS).",
    operation_id="preview_read",
)
def read_preview(request: HttpRequest, token: str):
    data = preview.redeem_token(token)
    if data is None:
        data = preview.release_page_json(token, request)
    if data is None:
        raise Http404("Förhandsgranskningen finns inte eller har gått ut.")
    # A page's state rendered through the page schema when the editor asked
    # for it: served as it was then. A release's page: rendered now.
    response = JsonResponse(data)
    # An editor's unsaved state: never kept by a cache on the way.
    response["Cache-Control"] = "no-store, private"
    return response
