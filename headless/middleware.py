"""What the API's own views cannot say for themselves.

- Reads are public, whoever asks: Wagtail's v3 switches the page listing to
  the editor's queryset (drafts included) for a token or a session whose user
  may edit. On the API's paths the session never counts (v3 trusts only
  bearer tokens), and a read (GET, HEAD) drops its token, but for the reads
  a token's scope is for (scopes.py: a schedule, a page's revisions).
- A NUL in a query parameter, which PostgreSQL refuses, is a 400; a JSON
  body that is not an object a 422.
- A pagination offset or limit beyond what the database can count is a 400,
  not the 500 the database would give; a body larger than the API takes is
  a 413 before it is read.
- Every error on the API's paths is a problem detail in JSON, whoever made
  it: Django's own 400 (a bad Host), 403 or 404 pages, and the site's 500
  page, are HTML (`ProblemResponsesMiddleware`, outermost).
"""

import json
from http import HTTPStatus

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from wagtail.api.v3.errors import problem_response

from . import errors, parameters
from .scopes import required_scope

API_PREFIX = "/api/"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Within PostgreSQL's bigint and SQLite's integer, with room for offset + limit.
LARGEST_COUNT = 2**62


def _oversized(request):
    for name in ("offset", "limit"):
        value = request.GET.get(name)
        digits = (value or "").strip().lstrip("+")
        # isascii: "²" is a digit to isdigit() and not to int().
        if digits.isascii() and digits.isdigit():
            if int(digits) > LARGEST_COUNT:
                return name
    return None


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


def _body_is_an_object(request):
    """False for a body that parses as JSON to anything but an object, whatever
    its Content-Type (ninja reads it as JSON regardless); a body that does not
    parse is left to the operation (a 400 or 422 of its own)."""
    if not request.body:
        return True
    try:
        return isinstance(json.loads(request.body), dict)
    except ValueError:
        return True


class PublicReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        request.user = AnonymousUser()
        if _content_length(request) > max_body_bytes(request.path):
            return problem_response(status=413, detail=errors.TOO_LARGE)
        if request.method not in SAFE_METHODS and not _body_is_an_object(request):
            # Wagtail's own write operations answer a JSON array with a 500.
            return problem_response(status=422, detail="Innehållet ska vara ett JSON-objekt.")
        # Not public: the reads a scope is needed for (a schedule, a page's
        # revisions) keep their token; tokens.py checks it.
        if request.method in SAFE_METHODS and required_scope(request.method, request.path) is None:
            request.META.pop("HTTP_AUTHORIZATION", None)
            name = _oversized(request)
            if name:
                return problem_response(status=400, detail=f"Parametern {name} är för stor.")
            # PostgreSQL refuses a NUL in a text value: a 500, were it let through.
            broken = sorted(name for name, value in request.GET.lists() if "\x00" in "".join(value))
            if broken:
                return problem_response(
                    status=400, detail=f"Parametern {broken[0]} innehåller otillåtna tecken."
                )
            unknown = parameters.unknown_parameters(request)
            if unknown:
                return problem_response(
                    status=400, detail=f"Okänd parameter: {', '.join(unknown)}."
                )
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
}


def _is_json(response):
    return "json" in response.get("Content-Type", "")


class ProblemResponsesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not _is_json(response)
        ):
            status = response.status_code
            problem = problem_response(
                status=status,
                detail=DETAILS.get(status, HTTPStatus(status).phrase),
            )
            for header in ("Retry-After", "Allow"):
                if header in response:
                    problem[header] = response[header]
            return problem
        return response
