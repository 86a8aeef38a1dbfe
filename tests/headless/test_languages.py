"""The API in both languages: a page's translations in its detail, and
`?locale=` on the towns and the contacts, declared in the document."""

import pytest
from django.test import Client

from intl_pages.models import InternationalPage

DOCUMENT = "/api/v3/openapi.json"


@pytest.fixture
def pages(demo_page):
    return demo_page, InternationalPage.objects.get(locale__language_code="en")


def test_a_pages_detail_lists_its_translations(pages):
    swedish, english = pages
    client = Client()
    sv = client.get(f"/api/v3/pages/{swedish.pk}/").json()
    assert sv["meta"]["locale"] == "sv"
    assert sv["translations"] == [{"id": english.pk, "locale": "en", "url": english.get_full_url()}]
    en = client.get(f"/api/v3/pages/{english.pk}/").json()
    assert en["meta"]["locale"] == "en"
    assert en["translations"] == [{"id": swedish.pk, "locale": "sv", "url": swedish.get_full_url()}]
    assert en["translations"][0]["url"].endswith("/internationella-samarbeten/")


def test_an_unpublished_translation_is_not_listed(pages):
    swedish, english = pages
    english.unpublish()
    assert Client().get(f"/api/v3/pages/{swedish.pk}/").json()["translations"] == []


def test_the_english_body_gives_the_contacts_english_texts(pages):
    _swedish, english = pages
    body = Client().get(f"/api/v3/pages/{english.pk}/").json()["body"]
    [contacts] = [block["value"] for block in body if block["type"] == "contacts"]
    titles = [(c["title"], c["unit"], c["phone"]) for c in contacts["contacts"]]
    assert ("Development manager", "Community development", "031-390 06 01") in titles


def test_twin_towns_by_locale(pages):
    client = Client()
    swedish = client.get("/api/v3/twin-towns/").json()["items"]
    english = client.get("/api/v3/twin-towns/", {"locale": "en"}).json()["items"]
    assert [t["country"] for t in swedish] == ["Ungern", "Litauen", "USA", "Kina", "Zambia"]
    assert [t["country"] for t in english] == ["Hungary", "Lithuania", "USA", "China", "Zambia"]
    assert [t["city"] for t in english] == [t["city"] for t in swedish]
    assert [t["start_year"] for t in english] == [t["start_year"] for t in swedish]
    assert {t["page"]["id"] for t in english} == {pages[1].pk}
    assert client.get("/api/v3/twin-towns/", {"locale": "sv"}).json()["items"] == swedish
    hungary = client.get("/api/v3/twin-towns/", {"locale": "en", "country": "hungary"}).json()
    assert [t["city"] for t in hungary["items"]] == ["Kecskemét"]


def test_contacts_by_locale(pages):
    client = Client()
    swedish = client.get("/api/v3/contacts/").json()["items"]
    english = client.get("/api/v3/contacts/", {"locale": "en"}).json()["items"]
    assert [c["id"] for c in english] == [c["id"] for c in swedish]
    assert [c["phone"] for c in english] == [c["phone"] for c in swedish]
    kim_sv = next(c for c in swedish if c["name"] == "Kim Exempelsson")
    kim_en = next(c for c in english if c["name"] == "Kim Exempelsson")
    assert (kim_sv["title"], kim_sv["unit"]) == ("Utvecklingsledare", "Samhälle")
    assert (kim_en["title"], kim_en["unit"]) == ("Development manager", "Community development")
    assert set(kim_en) == {
        *("id", "name", "title", "unit", "phone", "email"),
        *("last_reviewed_at", "review_due_at"),
    }


@pytest.mark.parametrize("path", ["/api/v3/twin-towns/", "/api/v3/contacts/"])
def test_an_unknown_locale_is_a_422_in_swedish(db, path):
    response = Client().get(path, {"locale": "de"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Förfrågan uppfyller inte schemat."


def test_the_document_declares_locale_and_translations(db):
    document = Client().get(DOCUMENT).json()
    for path in ("/api/v3/twin-towns/", "/api/v3/contacts/"):
        parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
        schema = parameters["locale"]["schema"]
        enum = schema.get("enum") or [
            value for branch in schema.get("anyOf", []) for value in branch.get("enum", [])
        ]
        assert set(enum) == {"sv", "en"}
    schemas = document["components"]["schemas"]
    assert set(schemas["PageTranslation"]["properties"]) == {"id", "locale", "url"}
