"""What the API's own views cannot say for themselves.

- Reads are public, whoever asks: Wagtail's v3 switches the page listing to
  the editor's queryset (drafts included) for a token or a session whose user
  may edit. On the API's paths the session never counts (v3 trusts only
  bearer tokens), and a read (GET, HEAD) drops its token, but for a
  schedule, which only a token may read.
- A pagination offset or limit beyond what the database can count is a 400,
  not the 500 the database would give.
"""

from django.contrib.auth.models import AnonymousUser
from wagtail.api.v3.errors import problem_response

API_PREFIX = "/api/"
# Not public: a schedule is read with the token of a user who may publish.
TOKEN_READS = ("/api/v3/schedule/",)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Within PostgreSQL's bigint and SQLite's integer, with room for offset + limit.
LARGEST_COUNT = 2**62


def _oversized(request):
    for name in ("offset", "limit"):
        value = request.GET.get(name)
        if value is not None and value.strip().lstrip("+").isdigit():
            if int(value) > LARGEST_COUNT:
                return name
    return None


class PublicReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        request.user = AnonymousUser()
        if request.method in SAFE_METHODS and not request.path.startswith(TOKEN_READS):
            request.META.pop("HTTP_AUTHORIZATION", None)
            name = _oversized(request)
            if name:
                return problem_response(status=400, detail=f"Parametern {name} är för stor.")
        return self.get_response(request)
