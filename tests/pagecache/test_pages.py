"""Anonymous GETs of a published page: rendered once, then served whole
from the cache with the same headers, validators that answer a conditional
GET with 304, never for an editor."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

from tests.builders import contacts_block, make_contact, make_page, twin_town
from tests.intl_pages.admin_forms import make_user

# Differ between any two responses, cached or not.
PER_RESPONSE = {"date", "x-page-cache"}


def headers_of(response):
    return {name.lower(): value for name, value in response.items()}


@pytest.fixture
def page(db):
    kim = make_contact(name="Kim Exempelsson")
    return make_page(
        title="Vänorter",
        body=[twin_town(city="Kecskemét"), twin_town(city="Rockford"), contacts_block(kim)],
    )


def test_the_second_anonymous_get_is_served_from_the_cache_with_the_same_headers(
    pagecache_on, page
):
    first = Client().get(page.url)
    assert first.status_code == 200
    assert first["X-Page-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        second = Client().get(page.url)
    assert second["X-Page-Cache"] == "hit"
    assert len(queries) == 0, "a hit reads nothing from the database"
    assert second.content == first.content
    assert b"Kecskem\xc3\xa9t" in second.content

    first_headers, second_headers = headers_of(first), headers_of(second)
    for name in PER_RESPONSE:
        first_headers.pop(name, None), second_headers.pop(name, None)
    assert second_headers == first_headers
    # What the inner middleware set travels with the stored response.
    assert second["X-Frame-Options"]
    assert "Vary" in second
    assert not second.cookies
    assert "set-cookie" not in second_headers


def test_head_is_served_from_the_cache(pagecache_on, page):
    Client().get(page.url)
    response = Client().head(page.url)
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "hit"


def test_etag_is_a_hash_of_the_bytes_and_answers_a_conditional_get(pagecache_on, page):
    import hashlib

    first = Client().get(page.url)
    etag = first["ETag"]
    assert etag == '"' + hashlib.blake2b(first.content, digest_size=16).hexdigest() + '"'
    not_modified = Client().get(page.url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert Client().get(page.url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_last_modified_is_the_pages_stamp_and_answers_a_conditional_get(pagecache_on, page):
    first = Client().get(page.url)
    page.refresh_from_db()
    assert first["Last-Modified"] == http_date(int(page.last_updated_at.timestamp()))
    since = first["Last-Modified"]
    assert Client().get(page.url, HTTP_IF_MODIFIED_SINCE=since).status_code == 304
    earlier = http_date(int(page.last_updated_at.timestamp()) - 60)
    assert Client().get(page.url, HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


def test_a_logged_in_editor_is_never_served_from_the_cache_nor_stored(pagecache_on, page):
    editor = Client()
    editor.force_login(make_user("redaktor", "Editors"))
    for _ in range(2):
        response = editor.get(page.url)
        assert response.status_code == 200
        assert "X-Page-Cache" not in response
    # Nothing the editor saw was kept: the first visitor renders.
    assert Client().get(page.url)["X-Page-Cache"] == "miss"
    # And what a visitor cached is not given to the editor.
    assert "X-Page-Cache" not in editor.get(page.url)


def test_a_request_with_a_token_is_not_served_from_the_cache(pagecache_on, page):
    Client().get(page.url)
    response = Client().get(page.url, HTTP_AUTHORIZATION="Bearer something")
    assert response.status_code == 200
    assert "X-Page-Cache" not in response


THANKS = "Tack för att du hjälper oss"


def test_a_query_string_the_page_does_not_know_is_served_the_clean_page(pagecache_on, page):
    clean = Client().get(page.url)
    assert clean["X-Page-Cache"] == "miss"
    for query in ("?utm_source=nyhetsbrev", "?tack=2", "?tack=ja", "?tack=1&tack=2", "?tack=%ff"):
        response = Client().get(page.url + query)
        assert response["X-Page-Cache"] == "hit", query
        assert response.content == clean.content
    assert THANKS not in clean.content.decode()
    # The feedback form's thanks is a response of its own.
    thanks = Client().get(page.url + "?tack=1")
    assert thanks["X-Page-Cache"] == "miss"
    assert THANKS in thanks.content.decode()
    assert Client().get(page.url + "?utm_source=x&tack=1")["X-Page-Cache"] == "hit"


def test_a_page_asked_with_a_made_up_query_is_rendered_as_the_clean_page(pagecache_on, page):
    from wagtail import hooks

    seen = []

    def record(page, request, args, kwargs):
        seen.append((request.GET.dict(), request.META["QUERY_STRING"]))

    with hooks.register_temporarily("before_serve_page", record, order=0):
        first = Client().get(page.url + "?utm_source=nyhetsbrev&tack=1x")
    assert first["X-Page-Cache"] == "miss"
    # What the page (and every hook after the cache's) read is the clean
    # query, so what is stored under the clean key is the clean page.
    assert seen == [({}, "")]
    assert Client().get(page.url)["X-Page-Cache"] == "hit"


def test_a_404_is_never_cached(pagecache_on, page):
    for _ in range(2):
        response = Client().get("/finns-inte/")
        assert response.status_code == 404
        assert "X-Page-Cache" not in response


def test_nothing_is_cached_with_the_cache_off(page):
    for _ in range(2):
        assert "X-Page-Cache" not in Client().get(page.url)


# An uncached render, and the API detail, cost the same SQL queries whatever
# the page holds (bench/page_render.py counts them too: 9 and 8).


def render_queries(path):
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(path)
    assert response.status_code == 200
    return len(queries)


def test_the_queries_of_a_render_do_not_grow_with_towns_and_contacts(db):
    def build(title, towns, contacts):
        people = [make_contact(name=f"{title} Person {i}") for i in range(contacts)]
        return make_page(
            title=title,
            body=[twin_town(city=f"{title} Stad {i}") for i in range(towns)]
            + [contacts_block(*people)],
        )

    small = build("Liten", 5, 2)
    large = build("Stor", 50, 20)
    render_queries(small.url)  # warm: the site and the settings, read once
    assert render_queries(large.url) == render_queries(small.url)
    # And the page's API detail.
    render_queries(f"/api/v3/pages/{small.pk}/")
    assert render_queries(f"/api/v3/pages/{large.pk}/") == render_queries(
        f"/api/v3/pages/{small.pk}/"
    )
