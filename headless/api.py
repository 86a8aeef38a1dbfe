"""The headless API at /api/v3/: Wagtail 8.0.1's v3 pages router (django-
ninja), with this project's routers beside it, in an API of its own.

Of Wagtail's routers only the pages are mounted. Its images and documents
listings answer anonymous callers with every file, those only a draft uses
included, and its snippet endpoints give never-published rows to any token
holder: anonymous callers here see no images, documents or snippets through
the API, and contacts only through `/contacts/` (published ones) and inside
pages. Reads are public whoever asks (see middleware.py).
"""

from csp.constants import HEADER as CSP_HEADER
from csp.utils import build_policy
from django.conf import settings
from django.http import Http404
from ninja import NinjaAPI
from wagtail.api.v3.routers.pages import router as pages_router

from webhooks.schema import openapi_webhooks

from . import declared, errors, scopes
from .bodies import BodyParser
from .content import contacts_router, twin_towns_router
from .feedback_api import router as feedback_router
from .preview_api import router as preview_router
from .releases_api import router as releases_router
from .schedule_api import router as schedule_router

# Swagger UI's stylesheet draws its icons from data: URLs. The header is set
# here whole, not left to a decorator's mark on the response: the page cache
# stores the docs page's headers and replays them, marks are lost.
DOCS_POLICY_UPDATE = {"img-src": ["'self'", "data:"]}


def gate_docs(view):
    def wrapper(request, *args, **kwargs):
        if not getattr(settings, "WAGTAILAPI_DOCS_ENABLED", True):
            raise Http404
        response = view(request, *args, **kwargs)
        response[CSP_HEADER] = build_policy(update=DOCS_POLICY_UPDATE)
        return response

    return wrapper


class HeadlessAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        schema = errors.document_errors(errors.anonymous_as_openapi_says(schema))
        # After the errors: a scoped operation's 401 and 403 say what they mean for it.
        schema = scopes.document_scopes(schema)
        schema = declared.document_parameters(schema)
        # What the site sends to a registered endpoint, as OpenAPI 3.1 says it.
        schema["webhooks"] = openapi_webhooks()
        return schema


api = HeadlessAPI(
    title="Lidköpings kommun: innehåll",
    version="3.0.0",
    description=(
        "Publicerat, offentligt innehåll från kommunens webbplats, och besökarnas svar. "
        "Läsning kräver ingen token och ger aldrig utkast, privata sidor eller opublicerade "
        "kontaktpersoner, vem som än frågar. Fel är problem details (RFC 9457) på svenska."
    ),
    # Wagtail's pages router reverses its own URL names in this namespace.
    urls_namespace="wagtailapi_v3",
    docs_decorator=gate_docs,
    openapi_url="/openapi.json",
    docs_url="/docs/",
    # Every JSON body by one rule (bodies.py), for Wagtail's operations too.
    parser=BodyParser(),
)
errors.register(api)

api.add_router("/pages/", pages_router)
api.add_router("/contacts/", contacts_router)
api.add_router("/twin-towns/", twin_towns_router)
api.add_router("/feedback/", feedback_router)
api.add_router("/schedule/", schedule_router)
api.add_router("/releases/", releases_router)
api.add_router("/preview/", preview_router)
