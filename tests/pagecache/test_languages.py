"""The Swedish and English pages in the cache: the language is the path's
(/en/…), so a cached body is never served in the other language, whatever
the browser's Accept-Language; a change to one version purges the other's
links to it."""

import pytest
from django.test import Client

from intl_pages.demo import load_demo
from intl_pages.models import InternationalPage
from tests.builders import ensure_wagtail_tree

from .support import cache

SWEDISH_URL = "/internationella-samarbeten/"
ENGLISH_URL = "/en/international-cooperation/"


def lang_of(response):
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


def test_each_language_is_cached_apart_whatever_the_browser_asks(pagecache_on, demo_page):
    first_sv = Client().get(SWEDISH_URL, HTTP_ACCEPT_LANGUAGE="en")
    first_en = Client().get(ENGLISH_URL, HTTP_ACCEPT_LANGUAGE="sv")
    assert (first_sv["X-Page-Cache"], first_en["X-Page-Cache"]) == ("miss", "miss")
    for accept in ("sv", "en", "en-GB,en;q=0.9", ""):
        swedish = Client().get(SWEDISH_URL, HTTP_ACCEPT_LANGUAGE=accept)
        english = Client().get(ENGLISH_URL, HTTP_ACCEPT_LANGUAGE=accept)
        assert (swedish["X-Page-Cache"], english["X-Page-Cache"]) == ("hit", "hit")
        assert (lang_of(swedish), lang_of(english)) == ("sv", "en")
        assert swedish.content == first_sv.content
        assert english.content == first_en.content
    home = Client().get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert home.status_code == 200 and lang_of(home) == "sv"
    assert lang_of(Client().get("/en/", HTTP_ACCEPT_LANGUAGE="sv")) == "en"


@pytest.mark.django_db(transaction=True)
def test_unpublishing_the_translation_purges_the_links_to_it(pagecache_on, transactional_db):
    # An earlier transactional test may have emptied every table.
    ensure_wagtail_tree()
    load_demo()
    assert ENGLISH_URL in cache(SWEDISH_URL).content.decode()
    InternationalPage.objects.get(locale__language_code="en").unpublish()
    response = Client().get(SWEDISH_URL)
    assert response["X-Page-Cache"] == "miss"
    assert ENGLISH_URL not in response.content.decode()
    assert 'hreflang="en"' not in response.content.decode()
