"""Serve an anonymous GET from the cache, or store what was rendered for it.

Placed after SecurityMiddleware (and WhiteNoise, in production), the policy
headers, the per-client limit and the API's problem responses, and before
everything else, so a hit costs one Redis round trip and no other
middleware: those outside still act on every hit, and the headers that the
inner middleware added (X-Frame-Options, Vary, Content-Length...) were
stored with the response.

What is cached: the 200 response of a GET to a Wagtail page (marked by the
`before_serve_page` hook, wagtail_hooks.py) or to a path under one of
`PAGECACHE_PREFIXES` (the API), for a request without a session cookie or
an Authorization header, when the response sets no cookie and does not say
`private`, `no-cache` or `no-store` (Wagtail's pages with view
restrictions, a preview, anything under `never_cache`). What the key holds,
and what it leaves out, is keys.py's: a page's made-up query strings and
any `Origin` are served its one entry, the API's query strings are bounded
per path. 404s are never cached, so a page asked for before its go-live is
found the moment it is live.

An API read the cache cannot answer costs a render: it counts against its
client (`security.clients.rate_key`) in `security.ratelimit`, and beyond
`PAGECACHE_UNCACHED_READ_LIMIT` in the window it is a 429 with
`Retry-After`, so that no client can make the API render for every made-up
parameter value. A hit costs nothing and counts nothing. An API read with a
token or a session cookie is never a hit (key_for), and anyone can make one
up: it counts too.
"""

import hashlib
import time

from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import cc_delim_re, get_conditional_response, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe
from wagtail.api.v3.errors import problem_response

from security import clients, ratelimit

from . import keys
from .store import Entry, get_cache

# Stored as they are, but for these: a cookie is never stored; the
# validators are ours.
NOT_STORED = frozenset({"set-cookie", "etag", "last-modified", "x-page-cache"})
UNCACHEABLE_DIRECTIVES = frozenset({"private", "no-cache", "no-store"})
HIT = "hit"
MISS = "miss"
FENCED = "fenced"
RATE_SCOPE = "api-uncached"


def in_one_snapshot(get_response, request):
    """Render in one database snapshot (REPEATABLE READ on PostgreSQL; a
    SQLite transaction reads one snapshot already), so that a render whose
    queries straddle a release's commit does not show half of it."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:  # a test's transaction, a view's own
        return get_response(request)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return get_response(request)


def etag_of(body):
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.serve(request)
        if (
            request.method in ("GET", "HEAD")
            and not response.has_header("Cache-Control")
            and (
                getattr(request, "pagecache_page", None) is not None
                or request.path_info.startswith(get_cache().config.prefixes)
                or response.has_header("X-Page-Cache")
            )
        ):
            # Validators without a lifetime: a browser would make one up from
            # Last-Modified (heuristic freshness) and show an old page after
            # the site serves a new one. It asks again, and gets a 304.
            response["Cache-Control"] = "no-cache"
        return response

    def serve(self, request):
        cache = get_cache()
        config = cache.config
        if not config.enabled:
            return self.get_response(request)
        key = keys.key_for(request, config)
        if key is None:
            if keys.is_unkeyed_api_read(request, config):
                origin = keys.allowed_origin(request, config)
                refused = self.uncached_read_refused(request, config, origin)
                if refused is not None:
                    return refused
            return self.get_response(request)
        generation = cache.sync_generation()
        if generation is None:  # Redis down: render, keep nothing
            return self.get_response(request)
        if cache.fenced(request.path_info):
            # A release is committing (fence.py): neither an entry that may
            # be old nor a render that may be, kept; the render sees the
            # database before the commit or after it, never half of each.
            response = in_one_snapshot(self.get_response, request)
            response["X-Page-Cache"] = FENCED
            return response

        entry = cache.get(generation, key)
        if entry is not None:
            return self.respond(request, entry, HIT)

        if key.api:
            refused = self.uncached_read_refused(request, config, key.origin)
            if refused is not None:
                return refused
        keys.render_as_keyed(request, key)
        response = in_one_snapshot(self.get_response, request)
        if request.method == "GET" and self.storable(request, response, config, key):
            entry = self.entry_of(request, response)
            if cache.put(generation, key, entry):
                # The first visitor gets what the next ones will: the same
                # headers and validators.
                return self.respond(request, entry, MISS)
        return response

    @staticmethod
    def uncached_read_refused(request, config, origin):
        """A 429 when the client has had its share of uncached API reads in
        the window; None to go on (the limiter lets everything through when
        its Redis does not answer)."""
        hit = ratelimit.hit(
            RATE_SCOPE,
            clients.rate_key(request),
            config.uncached_read_limit,
            config.uncached_read_window,
        )
        if hit.allowed:
            return None
        response = problem_response(
            status=429,
            detail=f"För många anrop; försök igen om {hit.retry_after} sekunder.",
        )
        response["Retry-After"] = str(hit.retry_after)
        # Answered before CORS is (corsheaders is inside): a front-end's
        # script may read how long to wait.
        patch_vary_headers(response, ("Origin",))
        if origin:  # an allowed front-end's, exactly
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = "Retry-After"
        return response

    @staticmethod
    def storable(request, response, config, key):
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        if not (getattr(request, "pagecache_page", None) is not None or key.api):
            return False
        cache_control = response.get("Cache-Control")
        if cache_control:
            directives = {
                d.split("=", 1)[0].strip().lower() for d in cc_delim_re.split(cache_control)
            }
            if directives & UNCACHEABLE_DIRECTIVES:
                return False
        vary = response.get("Vary")
        if vary:
            keyed = {"origin"} if key.api else set()
            names = {h.strip().lower() for h in cc_delim_re.split(vary)}
            if "*" in names or names - config.ignored_vary - keyed:
                return False  # it varies on what the key does not hold
        # Never one front-end's CORS answer under another's key.
        allowed = response.get("Access-Control-Allow-Origin")
        if allowed is not None and allowed not in (key.origin, "*"):
            return False
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return False
        return True

    @staticmethod
    def entry_of(request, response):
        body = response.content
        last_modified = None
        page = getattr(request, "pagecache_page", None)
        # "Senast uppdaterad" where the page has one (intl_pages' stamp), or
        # its "Senast granskad" if later: a review changes what the page
        # shows without moving the stamp.
        stamps = [getattr(page, name, None) for name in ("last_updated_at", "last_reviewed_at")]
        stamps = [stamp for stamp in stamps if stamp is not None]
        if stamps:
            last_modified = max(stamps).timestamp()
        elif response.has_header("Last-Modified"):
            last_modified = parse_http_date_safe(response["Last-Modified"])
        if last_modified is None:
            last_modified = time.time()
        headers = tuple(
            (name, value) for name, value in response.items() if name.lower() not in NOT_STORED
        )
        return Entry(response.status_code, headers, body, etag_of(body), int(last_modified))

    @staticmethod
    def respond(request, entry, how):
        response = HttpResponse(entry.body, status=entry.status)
        for name, value in entry.headers:
            response.headers[name] = value
        response.headers["ETag"] = entry.etag
        response.headers["Last-Modified"] = http_date(entry.last_modified)
        response.headers["X-Page-Cache"] = how
        meta = request.META
        if "HTTP_IF_NONE_MATCH" in meta or "HTTP_IF_MODIFIED_SINCE" in meta:
            return get_conditional_response(
                request, etag=entry.etag, last_modified=entry.last_modified, response=response
            )
        return response
