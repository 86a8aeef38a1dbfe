"""What the middleware keeps and what it does not, on responses of its own
making (an API path, where any anonymous 200 may be kept)."""

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from pagecache.middleware import PageCacheMiddleware

API = "/api/v3/pages/1/"
# The cache looks for purges kept in the database while Redis was down.
pytestmark = pytest.mark.django_db


def middleware(make_response):
    calls = []

    def get_response(request):
        calls.append(request)
        return make_response(request)

    return PageCacheMiddleware(get_response), calls


def ok(request):
    return HttpResponse(b'{"id": 1}', content_type="application/json")


@pytest.fixture
def rf():
    return RequestFactory()


def test_an_api_response_is_kept_with_its_whole_query(pagecache_on, rf):
    cache, calls = middleware(ok)
    assert cache(rf.get(API, {"fields": "title"}))["X-Page-Cache"] == "miss"
    assert cache(rf.get(API, {"fields": "title"}))["X-Page-Cache"] == "hit"
    assert cache(rf.get(API, {"fields": "body"}))["X-Page-Cache"] == "miss"
    assert len(calls) == 2


def test_a_response_that_sets_a_cookie_is_not_kept(pagecache_on, rf):
    def with_cookie(request):
        response = ok(request)
        response.set_cookie("sessionid", "abc")
        return response

    cache, calls = middleware(with_cookie)
    for _ in range(2):
        response = cache(rf.get(API))
        assert "X-Page-Cache" not in response
        assert response.cookies["sessionid"].value == "abc"
    assert len(calls) == 2


@pytest.mark.parametrize("cache_control", ["private", "no-store", "max-age=0, no-cache"])
def test_a_response_that_says_private_or_no_store_is_not_kept(pagecache_on, rf, cache_control):
    def private(request):
        response = ok(request)
        response["Cache-Control"] = cache_control
        return response

    cache, calls = middleware(private)
    cache(rf.get(API))
    cache(rf.get(API))
    assert len(calls) == 2


FRONT_ENDS = ["https://a.example", "https://b.example"]


def cors(request):
    """As corsheaders answers: any spelling of an allowed origin's scheme
    and host is echoed, a path after it included."""
    response = ok(request)
    response["Vary"] = "Origin, Cookie"
    origin = request.headers.get("Origin", "")
    if any(origin.startswith(front_end) for front_end in FRONT_ENDS):
        response["Access-Control-Allow-Origin"] = origin
    return response


def test_each_front_end_origin_is_kept_apart_and_every_other_origin_shares_one(
    pagecache_on, rf, settings
):
    settings.CORS_ALLOWED_ORIGINS = FRONT_ENDS
    cache, calls = middleware(cors)
    for origin in FRONT_ENDS:
        assert cache(rf.get(API, HTTP_ORIGIN=origin))["X-Page-Cache"] == "miss"
    for origin in FRONT_ENDS:
        hit = cache(rf.get(API, HTTP_ORIGIN=origin))
        assert hit["X-Page-Cache"] == "hit"
        assert hit["Access-Control-Allow-Origin"] == origin
    # A spelling no browser sends is answered as no origin is, and kept as
    # that one answer for every other origin and none.
    odd = cache(rf.get(API, HTTP_ORIGIN="https://a.example/x"))
    assert odd["X-Page-Cache"] == "miss"
    assert "Access-Control-Allow-Origin" not in odd
    for origin in ("https://c.example", "https://a.example/y", None):
        headers = {"HTTP_ORIGIN": origin} if origin else {}
        other = cache(rf.get(API, **headers))
        assert other["X-Page-Cache"] == "hit"
        assert "Access-Control-Allow-Origin" not in other
    assert len(calls) == 3


def test_a_cors_answer_for_another_origin_than_the_key_is_not_kept(pagecache_on, rf, settings):
    settings.CORS_ALLOWED_ORIGINS = FRONT_ENDS

    def echoes_anything(request):
        response = ok(request)
        response["Access-Control-Allow-Origin"] = "https://a.example"
        return response

    cache, calls = middleware(echoes_anything)
    cache(rf.get(API))
    assert "X-Page-Cache" not in cache(rf.get(API))
    assert len(calls) == 2


def test_a_response_that_varies_on_what_the_key_lacks_is_not_kept(pagecache_on, rf):
    def varies(request):
        response = ok(request)
        response["Vary"] = "Accept-Encoding"
        return response

    cache, calls = middleware(varies)
    cache(rf.get(API))
    cache(rf.get(API))
    assert len(calls) == 2


def test_only_200s_of_gets_are_kept(pagecache_on, rf):
    cache, calls = middleware(lambda request: HttpResponse(status=404))
    cache(rf.get(API))
    cache(rf.get(API))
    cache, posts = middleware(ok)
    cache(rf.post(API))
    cache(rf.post(API))
    assert len(calls) == 2 and len(posts) == 2


def test_a_path_outside_the_pages_and_prefixes_is_not_kept(pagecache_on, rf):
    cache, calls = middleware(ok)
    cache(rf.get("/feedback/1/token/"))
    cache(rf.get("/feedback/1/token/"))
    cache(rf.get("/not-a-page/"))  # no page was served for it
    cache(rf.get("/not-a-page/"))
    assert len(calls) == 4


def test_a_session_cookie_or_a_token_bypasses_the_cache(pagecache_on, rf):
    cache, calls = middleware(ok)
    cache(rf.get(API))
    request = rf.get(API)
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "x"
    request.META["HTTP_COOKIE"] = f"{settings.SESSION_COOKIE_NAME}=x"
    assert "X-Page-Cache" not in cache(request)
    assert "X-Page-Cache" not in cache(rf.get(API, HTTP_AUTHORIZATION="Bearer t"))
    assert len(calls) == 3


def test_a_purge_by_another_process_is_seen_within_the_check_interval(pagecache_on, rf):
    import time

    import redis
    from django.conf import settings
    from django.test import override_settings

    from pagecache import store

    with override_settings(PAGECACHE_GENERATION_CHECK_SECONDS=0.2):
        cache, _ = middleware(ok)
        cache(rf.get(API))
        assert cache(rf.get(API))["X-Page-Cache"] == "hit"
        # Another process purges: a new token in Redis.
        redis.Redis.from_url(settings.PAGECACHE_REDIS_URL).set(
            store.GENERATION_KEY, store.new_token()
        )
        time.sleep(0.25)
        assert cache(rf.get(API))["X-Page-Cache"] == "miss"


def test_one_purge_for_all_the_events_of_a_transaction(
    pagecache_on, monkeypatch, django_capture_on_commit_callbacks
):
    from changes.signals import PAGE_PUBLISHED, SITE_CHANGED, STAMP_MOVED, announce
    from pagecache import store
    from tests.builders import make_page

    with django_capture_on_commit_callbacks(execute=True):
        page = make_page(title="Vänorter")
    purges = []
    monkeypatch.setattr(store, "purge", lambda: purges.append(True))
    with django_capture_on_commit_callbacks(execute=True):
        announce(PAGE_PUBLISHED, [page.pk])
        announce(STAMP_MOVED, [page.pk])
        announce(SITE_CHANGED)
    assert len(purges) == 1
    with django_capture_on_commit_callbacks(execute=True):
        announce(STAMP_MOVED, [page.pk])
    assert len(purges) == 2
