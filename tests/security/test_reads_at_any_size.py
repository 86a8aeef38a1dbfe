"""Reads that cost the same at any size: the twin towns and the contacts
run in the same number of queries with 1 and with 50 pages (or contacts),
and are paginated as Wagtail's listings are (`limit`, `offset`, `count`,
`limit` at most WAGTAILAPI_LIMIT_MAX), as the document declares."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.builders import contacts_block, make_contact, make_page, twin_town

LISTINGS = ("/api/v3/twin-towns/", "/api/v3/contacts/")


def pages_with_towns(count, start=0):
    contact = make_contact(name=f"Kontakt {start}")
    for n in range(start, start + count):
        make_page(
            title=f"Sida {n}",
            slug=f"sida-{n}",
            body=[
                twin_town(city=f"Ort {n}", country="Ungern"),
                contacts_block(contact),  # a block that would ask the database
            ],
        )


def queries(client, path, **params):
    client.get(path, params)  # the site's root paths, cached once for every request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


@pytest.mark.parametrize("path", LISTINGS)
def test_the_same_number_of_queries_for_1_and_50_pages(client, db, path):
    pages_with_towns(1)
    few, small = queries(client, path)
    pages_with_towns(49, start=1)
    for n in range(48):
        make_contact(name=f"Fler {n}")
    many, large = queries(client, path)
    assert small["count"] == 1
    assert large["count"] == 50
    assert few == many


def test_the_towns_are_paginated_as_wagtails_listings_are(client, db, settings):
    pages_with_towns(5)
    data = client.get("/api/v3/twin-towns/", {"limit": 2, "offset": 1}).json()
    assert data["count"] == 5
    assert [t["city"] for t in data["items"]] == ["Ort 1", "Ort 2"]
    assert len(client.get("/api/v3/twin-towns/").json()["items"]) == 5
    filtered = client.get("/api/v3/twin-towns/", {"country": "ungern", "limit": 1}).json()
    assert filtered["count"] == 5 and len(filtered["items"]) == 1
    too_many = client.get("/api/v3/twin-towns/", {"limit": settings.WAGTAILAPI_LIMIT_MAX + 1})
    assert too_many.status_code == 400
    assert too_many.json()["detail"] == f"limit får vara högst {settings.WAGTAILAPI_LIMIT_MAX}."


def test_the_contacts_are_paginated(client, db):
    for name in ("Cecilia", "Anna", "Bertil"):
        make_contact(name=name)
    data = client.get("/api/v3/contacts/", {"limit": 1, "offset": 1}).json()
    assert data == {"count": 3, "items": [data["items"][0]]}
    assert data["items"][0]["name"] == "Bertil"
    assert set(data["items"][0]) == {
        "id",
        "name",
        "title",
        "unit",
        "phone",
        "email",
        "last_reviewed_at",
        "review_due_at",
    }


@pytest.mark.parametrize("path", LISTINGS)
def test_the_document_declares_the_pagination(client, db, path, settings):
    document = client.get("/api/v3/openapi.json").json()
    operation = document["paths"][path]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["limit"]["maximum"] == settings.WAGTAILAPI_LIMIT_MAX
    assert parameters["limit"]["minimum"] == 1
    assert parameters["offset"]["minimum"] == 0
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    listing = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert set(listing["required"]) == {"count", "items"}
