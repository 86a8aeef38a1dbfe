"""A cache no one can fill (issue 14): the page cache's key holds only what
the response varies on, so hundreds of made-up `Origin`s, query values, ports and
unknown parameters leave its key count flat; the API's variants are capped
per path, in one canonical order; an API read the cache cannot answer counts
against its client (429 with Retry-After beyond the limit); and a lost
generation token (flushed, deleted) means everything is stale, never that
something old is served. With the page cache on and real Redis."""

import secrets
import time
from html.parser import HTMLParser

import pytest
import redis
from django.conf import settings
from django.test import Client, override_settings

from intl_pages.models import InternationalPage
from pagecache import store
from tests.builders import make_contact, make_page, twin_town
from tests.pagecache import conftest as pagecache_fixtures
from tests.pagecache.support import cache, visit

# tests/pagecache's fixtures: the cache on, a redis-server of the test's own.
pagecache_on = pagecache_fixtures.pagecache_on
private_redis = pagecache_fixtures.private_redis

FRONT_ENDS = ["https://front.lidkoping.example.org", "https://app.lidkoping.example.org"]
HUNDREDS = 200
LISTING = "/api/v3/pages/"
THANKS = "Tack för att du hjälper oss"


def random_text():
    return secrets.token_hex(6)


def page_cache_keys():
    """Every key the page cache holds in its Redis, whatever the generation."""
    client = redis.Redis.from_url(settings.PAGECACHE_REDIS_URL)
    try:
        return sum(1 for _ in client.scan_iter("pagecache:*", count=1000))
    finally:
        client.close()


@pytest.fixture
def flood(pagecache_on):
    """The cache on, the front-ends allowed, no uncached read counted yet
    and a limit no test reaches unless it sets one."""
    with override_settings(CORS_ALLOWED_ORIGINS=FRONT_ENDS, PAGECACHE_UNCACHED_READ_LIMIT=100_000):
        store.reset()
        yield store.get_cache()
    pagecache_fixtures.forget_uncached_reads()


@pytest.fixture
def page(db):
    return make_page(
        title="Vänorter",
        body=[twin_town(city="Kecskemét")],
        owner_email="naringsliv@example.org",
    )


def test_made_up_origins_query_values_and_parameters_leave_the_page_cache_flat(flood, page):
    clean = cache(page.url)
    cache(page.url + "?tack=1")
    before = page_cache_keys()

    made_up = (
        [{"HTTP_ORIGIN": f"https://{random_text()}.example"} for _ in range(HUNDREDS)]
        + [{"QUERY_STRING": f"tack={random_text()}"} for _ in range(HUNDREDS)]
        + [{"QUERY_STRING": f"{random_text()}={random_text()}"} for _ in range(HUNDREDS)]
        # Wagtail finds the site by the name and the server's port, not this one.
        + [{"HTTP_HOST": f"testserver:{port}"} for port in range(1000, 1000 + HUNDREDS)]
        + [{"HTTP_ORIGIN": FRONT_ENDS[0], "QUERY_STRING": f"utm_source={random_text()}"}]
    )
    for extra in made_up:
        response = Client().get(page.url, **extra)
        assert response.status_code == 200
        assert response["X-Page-Cache"] == "hit", extra
        assert response.content == clean.content
        assert "Access-Control-Allow-Origin" not in response
    assert page_cache_keys() == before


def test_api_parameter_values_are_kept_up_to_the_cap_per_path(flood, page):
    cap = 5
    with override_settings(PAGECACHE_API_VARIANTS_PER_PATH=cap):
        store.reset()
        store.get_cache().sync_generation()  # the token is no variant's
        before = page_cache_keys()
        kept = []
        for offset in range(HUNDREDS):
            origin = secrets.choice([*FRONT_ENDS, f"https://{random_text()}.example", None])
            headers = {"HTTP_ORIGIN": origin} if origin else {}
            response = Client().get(LISTING, {"offset": offset}, **headers)
            assert response.status_code == 200
            if response.get("X-Page-Cache") == "miss":
                kept.append((offset, origin if origin in FRONT_ENDS else None))
        # The cap's entries and the path's set of them.
        assert len(kept) == cap
        assert page_cache_keys() - before == cap + 1
        # What was kept is served; the path's other variants are rendered.
        for offset, origin in kept:
            headers = {"HTTP_ORIGIN": origin} if origin else {}
            assert Client().get(LISTING, {"offset": offset}, **headers)["X-Page-Cache"] == "hit"
        assert "X-Page-Cache" not in Client().get(LISTING, {"offset": HUNDREDS + 1})
        # Another path has a share of its own.
        assert Client().get(f"/api/v3/pages/{page.pk}/")["X-Page-Cache"] == "miss"


def test_each_front_end_gets_its_own_entry_with_its_own_cors_header(flood, page):
    path = "/api/v3/contacts/"
    make_contact(name="Kim Exempelsson")
    first, second = FRONT_ENDS
    assert Client().get(path, HTTP_ORIGIN=first)["Access-Control-Allow-Origin"] == first
    for _ in range(2):
        for origin in (first, second):
            response = Client().get(path, HTTP_ORIGIN=origin)
            assert response["Access-Control-Allow-Origin"] == origin
    assert Client().get(path, HTTP_ORIGIN=second)["X-Page-Cache"] == "hit"

    # Every other origin, and none, share one entry without the header,
    # whichever of them asked first: corsheaders echoes a spelling of a
    # front-end's origin with a path, which no browser sends.
    odd = Client().get(path, HTTP_ORIGIN=first + "/sida")
    assert odd["X-Page-Cache"] == "miss"
    assert "Access-Control-Allow-Origin" not in odd
    for headers in ({}, {"HTTP_ORIGIN": "https://evil.example"}, {"HTTP_ORIGIN": "null"}):
        response = Client().get(path, **headers)
        assert response["X-Page-Cache"] == "hit"
        assert "Access-Control-Allow-Origin" not in response
    # And a front-end is still answered as itself.
    assert Client().get(path, HTTP_ORIGIN=first)["Access-Control-Allow-Origin"] == first


def test_the_apis_parameters_in_any_order_or_encoding_share_one_entry(flood, page):
    assert visit(f"{LISTING}?limit=5&offset=0&order=title")["X-Page-Cache"] == "miss"
    for query in ("offset=0&order=title&limit=5", "order=t%69tle&limit=5&offset=0"):
        assert visit(f"{LISTING}?{query}")["X-Page-Cache"] == "hit", query
    # Another value is another request.
    assert visit(f"{LISTING}?limit=5&offset=1&order=title")["X-Page-Cache"] == "miss"


def test_uncached_api_reads_beyond_the_limit_are_a_429_with_retry_after(flood, page):
    # One window for the whole test (fixed windows from the epoch: the next
    # boundary of this one is in 2033), so that no read falls in the next.
    window = 10**9
    with override_settings(
        PAGECACHE_UNCACHED_READ_LIMIT=3, PAGECACHE_UNCACHED_READ_WINDOW_SECONDS=window
    ):
        store.reset()
        for offset in range(3):
            assert visit(f"{LISTING}?offset={offset}").status_code == 200
        refused = visit(f"{LISTING}?offset=99")
        assert refused.status_code == 429
        assert refused["Content-Type"] == "application/problem+json"
        seconds = int(refused["Retry-After"])
        assert 0 < seconds <= window
        problem = refused.json()
        assert problem["status"] == 429
        assert problem["detail"] == f"För många anrop; försök igen om {seconds} sekunder."
        assert "Access-Control-Allow-Origin" not in refused
        # A front-end's script may read it, and how long to wait.
        front_end = Client().get(f"{LISTING}?offset=98", HTTP_ORIGIN=FRONT_ENDS[0])
        assert front_end.status_code == 429
        assert front_end["Access-Control-Allow-Origin"] == FRONT_ENDS[0]
        assert front_end["Access-Control-Expose-Headers"] == "Retry-After"
        assert "Origin" in front_end["Vary"]
        # What the cache holds costs nothing and is still served.
        assert visit(f"{LISTING}?offset=0")["X-Page-Cache"] == "hit"
        # Pages are not API reads, and another client has a share of its own.
        assert visit(page.url).status_code == 200
        other = Client(REMOTE_ADDR="198.51.100.7").get(f"{LISTING}?offset=99")
        assert other.status_code == 200


def test_a_made_up_token_or_session_cookie_counts_as_an_uncached_read(flood, page):
    """The cache never answers a read with a token or a session cookie, and
    anyone can make one up: without counting, each would be a render for
    free."""
    window = 10**9
    with override_settings(
        PAGECACHE_UNCACHED_READ_LIMIT=2, PAGECACHE_UNCACHED_READ_WINDOW_SECONDS=window
    ):
        store.reset()
        bearer = Client(HTTP_AUTHORIZATION="Bearer påhittad")
        assert bearer.get(LISTING).status_code == 200
        cookie = Client()
        cookie.cookies[settings.SESSION_COOKIE_NAME] = "påhittad"
        assert cookie.get(LISTING).status_code == 200
        for client in (bearer, cookie):
            refused = client.get(LISTING, HTTP_ORIGIN=FRONT_ENDS[1])
            assert refused.status_code == 429
            assert refused["Access-Control-Allow-Origin"] == FRONT_ENDS[1]
        # Pages are not API reads.
        assert cookie.get(page.url).status_code == 200


def test_the_document_declares_the_429_on_the_cached_reads(flood, db):
    document = Client().get("/api/v3/openapi.json").json()
    cached = [
        path
        for path, operations in document["paths"].items()
        if "get" in operations
        and path.startswith(tuple(settings.PAGECACHE_PREFIXES))
        and not path.startswith(tuple(settings.PAGECACHE_EXCLUDED_PREFIXES))
    ]
    assert {"/api/v3/pages/", "/api/v3/pages/{page_id}/", "/api/v3/twin-towns/"} <= set(cached)
    for path in cached:
        too_many = document["paths"][path]["get"]["responses"]["429"]
        assert "Retry-After" in too_many["headers"], path
        assert "application/problem+json" in too_many["content"]


# A lost generation: a real Redis of the test's own (tests/pagecache's
# private_redis), flushed or stripped of its token between two requests,
# while this process holds the page in its memory too.


def change_without_a_purge(page, title):
    """What visitors see changes, and no purge is sent: only a lost
    generation can make the cache serve it."""
    InternationalPage.objects.filter(pk=page.pk).update(title=title)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lose", ["flushdb", "delete"])
def test_a_lost_generation_token_never_serves_what_was_cached(private_redis, lose):
    check = 0.05
    with override_settings(PAGECACHE_GENERATION_CHECK_SECONDS=check):
        store.reset()
        page = make_page(title="Vänorter")
        api = f"/api/v3/pages/{page.pk}/"
        cache(page.url), cache(api)
        assert len(store.get_cache().local) == 2  # and in this process's memory
        change_without_a_purge(page, "Vänorter efter tömningen")
        assert "efter tömningen" not in visit(page.url).content.decode()

        client = private_redis.client()
        if lose == "flushdb":
            client.flushdb()
        else:
            client.delete(store.GENERATION_KEY)
        # The process trusts its token for the check interval, as after
        # any purge; then it asks, and finds none.
        time.sleep(check * 2)
        for url in (page.url, api):
            response = visit(url)
            assert response.status_code == 200
            assert response["X-Page-Cache"] == "miss", url
        assert "Vänorter efter tömningen" in visit(page.url).content.decode()
        assert visit(api).json()["title"] == "Vänorter efter tömningen"
        assert client.get(store.GENERATION_KEY), "a new token, written by the first to ask"


@pytest.mark.django_db(transaction=True)
def test_a_redis_full_without_eviction_stores_nothing_and_still_serves_what_it_holds(
    private_redis,
):
    page = make_page(title="Vänorter")
    api = f"/api/v3/pages/{page.pk}/"
    cache(page.url), cache(api)
    client = private_redis.client()
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", used + 1024)
    try:
        # Refused for want of memory: rendered, not kept, no error.
        for url in (page.url + "?tack=1", "/api/v3/contacts/"):
            for _ in range(2):
                response = visit(url)
                assert response.status_code == 200
                assert "X-Page-Cache" not in response
        assert THANKS in visit(page.url + "?tack=1").content.decode()
        # A refused write is not an outage: what the cache holds is served.
        assert visit(page.url)["X-Page-Cache"] == "hit"
        assert visit(api)["X-Page-Cache"] == "hit"
    finally:
        client.config_set("maxmemory", 0)


# A cached page is replayed whole, to everyone: a CSP nonce in it would be
# everyone's. So every page a visitor gets loads its scripts and styles from
# files, with nothing inline for a nonce or a hash to allow.


class InlineMarkup(HTMLParser):
    """What a strict Content-Security-Policy refuses without a nonce: a
    script with code in it, a style element, a style attribute, an event
    handler attribute, a javascript: URL."""

    # Data for a script, never run (ninja's Swagger settings).
    DATA_TYPES = {"application/json", "application/ld+json"}

    def __init__(self):
        super().__init__()
        self.found = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            runs = attrs.get("type", "text/javascript") not in self.DATA_TYPES
            self._in_script = runs and "src" not in attrs
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs.items():
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}…")


def inline_markup(response):
    parser = InlineMarkup()
    parser.feed(response.content.decode())
    return parser.found


@pytest.mark.django_db
def test_no_public_page_holds_inline_script_or_style(flood, demo_page):
    from tests.feedback.conftest import answer_data

    home = demo_page.get_parent()
    with override_settings(FEEDBACK_MIN_SECONDS=0):
        refused_answer = Client().post(
            f"/feedback/{demo_page.pk}/", answer_data(demo_page, helpful="")
        )
    foreign = Client().post(
        f"/feedback/{demo_page.pk}/", answer_data(demo_page), HTTP_ORIGIN="https://evil.example"
    )
    responses = {
        "the page, its widget asking": visit(demo_page.url),
        "the page, its widget thanking": visit(demo_page.url + "?tack=1"),
        "the page, its widget with errors": refused_answer,
        "the post refused": foreign,
        "the home page": visit(home.url),
        "a page that is not there": visit("/finns-inte/"),
        "the API's documentation": visit("/api/v3/docs/"),
    }
    assert refused_answer.status_code == 400 and foreign.status_code == 403
    assert "error-summary" in refused_answer.content.decode()
    for name, response in responses.items():
        assert response["Content-Type"].startswith("text/html"), name
        assert inline_markup(response) == [], name
