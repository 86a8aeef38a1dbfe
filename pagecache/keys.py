"""The cache key of a request: what the response varies on, and nothing else
a client can vary at will, so that no stream of made-up requests can grow
the cache.

- A page answers the same whatever its query string, but for the values
  `PAGECACHE_PAGE_QUERY` names (`?tack=1`, the feedback form's thanks): any
  other parameter, or value, is the clean page. The page is rendered for the
  query its key holds (wagtail_hooks.py), so what is stored under the clean
  key is the clean page whatever the request that rendered it carried.
- The API's query string is its input: the whole of it is in the key, in
  one canonical order and encoding (`?b=2&a=1` is `?a=1&b=2`); how many are
  kept per path is bounded in the store.
- `Origin` only on the API's paths, where CORS echoes it: a key per allowed
  front-end origin (the one `CORS_ALLOWED_ORIGINS` names exactly), and one
  for every other origin and none, rendered as for none. Pages do not vary
  on it.
- The host without its port: Wagtail finds the site by the name and the
  server's port, not the port a client writes in `Host`.
"""

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings


@dataclass(frozen=True)
class Key:
    resource: str  # scheme://host/path: a path's variants share it
    query: str  # the query string the response is for, canonical
    origin: str  # the allowed front-end origin it is for, or ""
    api: bool
    # The query and origin hashed (a query of any length is one short
    # name), and the whole key; made once, on a hit's path.
    variant: str = field(init=False)
    text: str = field(init=False)

    def __post_init__(self):
        variant = hashlib.blake2b(f"{self.query}|{self.origin}".encode(), digest_size=16)
        object.__setattr__(self, "variant", variant.hexdigest())
        object.__setattr__(self, "text", f"{self.resource}|{self.variant}")


def host_name(request):
    """The host the client asked for (which `get_host` has checked against
    ALLOWED_HOSTS), lower case, without a port or a final dot."""
    host = request.get_host().lower()
    if host.startswith("["):  # an IPv6 address has colons of its own
        host = host[: host.index("]") + 1]
    else:
        host = host.partition(":")[0]
    return host.removesuffix(".")


def page_query(request, known):
    """The parameters of `known` ({name: values}) whose value the page
    answers for, in one order; the rest is the clean page's."""
    if not request.META.get("QUERY_STRING"):
        return ""
    chosen = []
    for name in sorted(known):
        # The value a page reads (QueryDict.get: the last one given).
        value = request.GET.get(name)
        if value in known[name]:
            chosen.append((name, value))
    return urlencode(chosen)


def api_query(request):
    """The whole query, by name in sorted order, each name's values in the
    order given (what a view reads from it is the same), percent-encoded
    one way."""
    if not request.META.get("QUERY_STRING"):
        return ""
    return urlencode(sorted(request.GET.lists()), doseq=True)


def allowed_origin(request, config):
    """The request's Origin when it is exactly an allowed front-end's, else
    "" (no origin, or any other)."""
    origin = request.META.get("HTTP_ORIGIN", "")
    return origin if origin in config.allowed_origins else ""


def key_for(request, config):
    """The cache key of the request, or None when it is neither served from
    the cache nor stored."""
    if request.method not in ("GET", "HEAD"):
        return None
    meta = request.META
    if "HTTP_AUTHORIZATION" in meta:
        return None
    if "HTTP_COOKIE" in meta and settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None  # a logged-in editor, or one who has been
    # Which part of the site: by the path the URLconf resolves (path_info),
    # never by a prefix a forwarded SCRIPT_NAME could add.
    route = request.path_info
    if route.startswith(config.excluded_prefixes):
        return None
    scheme = "https" if request.is_secure() else "http"
    resource = f"{scheme}://{host_name(request)}{request.path}"
    if route.startswith(config.prefixes):
        return Key(resource, api_query(request), allowed_origin(request, config), api=True)
    return Key(resource, page_query(request, config.page_query), "", api=False)


def is_unkeyed_api_read(request, config):
    """An API read that is never answered from the cache because it carries
    a token or a session cookie (key_for gives it no key). Anyone can send a
    made-up one, so it is counted as an uncached read (middleware.py)."""
    route = request.path_info
    return (
        request.method in ("GET", "HEAD")
        and route.startswith(config.prefixes)
        and not route.startswith(config.excluded_prefixes)
    )


def render_as_keyed(request, key):
    """Make the request the one its key stands for, before it is rendered:
    what is stored under the key must be what every request with that key
    gets."""
    if key.api:
        # corsheaders also answers spellings of an allowed origin that no
        # browser sends (a path after it): every origin that is not exactly
        # a front-end's is answered as none is.
        if not key.origin:
            request.META.pop("HTTP_ORIGIN", None)
    else:
        # Read by the hook that serves a page (wagtail_hooks.py).
        request.pagecache_query = key.query
