"""What the API's own views cannot say for themselves.

- Reads are public, whoever asks: Wagtail's v3 switches the page listing to
  the editor's queryset (drafts included) for a token or a session whose user
  may edit. On the API's paths the session never counts (v3 trusts only
  bearer tokens), and a read (GET, HEAD) drops its token, but for the reads
  a token's scope is for (scopes.py: a schedule, a page's revisions).
- A body that is not JSON by the API's rule (bodies.py: nested too deep,
  not UTF-8, truncated) is a 400 that says why, and JSON that is not an
  object a 422, before any operation reads it.
- A query the document does not allow (parameters.py: unknown names, an
  offset or limit beyond its declared maximum, a NUL) is a 400, not the 500
  the database would give; a body larger than the API takes is a 413 before
  it is read.
- Every error on the API's paths is a problem detail in JSON, whoever made
  it: Django's own 400 (a bad Host), 403 or 404 pages, and the site's 500
  page, are HTML (`ProblemResponsesMiddleware`, outside all but the
  headers and the per-client limit).
"""

from http import HTTPStatus

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from wagtail.api.v3.errors import problem_response

from . import bodies, errors, parameters
from .scopes import required_scope

API_PREFIX = "/api/"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
FEEDBACK_PATH = "/api/v3/feedback/"


def max_body_bytes(path):
    if path.startswith(FEEDBACK_PATH):
        return settings.FEEDBACK_MAX_BODY_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _content_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _body_refusal(request):
    """A problem response for a body that is not a JSON object by the API's
    rule, whatever its Content-Type (every operation here takes JSON, and
    ninja reads it as JSON regardless); None for a good or empty body."""
    if not request.body:
        return None
    try:
        value = bodies.json_body(request)
    except bodies.UnreadableBody as error:
        return problem_response(status=400, detail=str(error))
    if not isinstance(value, dict):
        # Wagtail's own write operations answer a JSON array with a 500.
        return problem_response(status=422, detail="Innehållet ska vara ett JSON-objekt.")
    return None


class PublicReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        request.user = AnonymousUser()
        if _content_length(request) > max_body_bytes(request.path_info):
            return problem_response(status=413, detail=errors.TOO_LARGE)
        if request.method not in SAFE_METHODS:
            refusal = _body_refusal(request)
            if refusal:
                return refusal
        # Not public: the reads a scope is needed for (a schedule, a page's
        # revisions) keep their token; tokens.py checks it.
        if (
            request.method in SAFE_METHODS
            and required_scope(request.method, request.path_info) is None
        ):
            request.META.pop("HTTP_AUTHORIZATION", None)
        if request.method in SAFE_METHODS:
            # Token reads too: the document declares their parameters alike.
            reason = parameters.refusal(request)
            if reason:
                return problem_response(status=400, detail=reason)
        return self.get_response(request)


# Swedish for the statuses Django or a proxy in the process may answer with.
DETAILS = {
    400: "Förfrågan kunde inte tas emot.",
    403: "Förbjudet.",
    404: errors.NOT_FOUND,
    405: "Metoden stöds inte här.",
    413: errors.TOO_LARGE,
    429: "För många anrop; försök igen senare.",
    500: "Ett fel uppstod på servern. Försök igen om en stund.",
    503: errors.DATABASE_AWAY,
}


KEPT = {"retry-after", "allow", "vary", "www-authenticate", "cache-control"}


def _is_json(response):
    return "json" in response.get("Content-Type", "")


class ProblemResponsesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path_info.startswith(API_PREFIX)
            and response.status_code >= 400
            and not _is_json(response)
        ):
            status = response.status_code
            problem = problem_response(
                status=status,
                detail=DETAILS.get(status, HTTPStatus(status).phrase),
            )
            # What the refusal's own response said to the client and to
            # caches: a front-end on another origin must still read the
            # problem (CORS), and a cache must still know what it varies on.
            for header, value in response.items():
                if header.lower().startswith("access-control-") or header.lower() in KEPT:
                    problem[header] = value
            return problem
        return response
