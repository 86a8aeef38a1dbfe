"""A release's preview: each page as the release will make it (its pinned
revision, the release's revisions of the contacts), and the pages outside
the release that show one of its contacts, in the admin and through the
headless preview; the live pages unchanged until the release is applied."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import Revision

from headless import preview as headless_preview
from releases import actions, preview
from tests.builders import contacts_block, make_page, stream, twin_town
from tests.pagecache.conftest import pagecache_on  # noqa: F401 (the page cache on)
from tests.tasks.support import build_content, page_body

from .support import draft_of, draft_of_contact


def stored(revision):
    # As the views and the API have it: read back, its object_id a string.
    return Revision.objects.get(pk=revision.pk)


NEW_PHONE = "0510-99 88 77"
OLD_PHONE = "031-390 06 21"  # Kim's, as built
NEW_TOWN = "Rockford"
FRONT_END = "https://front.lidkoping.example.org/preview"


@pytest.fixture
def planned(db, admin):
    """A release of the test page with a new twin town and of Kim with a new
    phone number; a second page, outside the release, that shows Kim."""
    content = build_content()
    outside = make_page(
        title="Kontakta oss", slug="kontakta-oss", body=[contacts_block(content.kim)]
    )
    body = stream([*page_body(content.kim, content.alex), twin_town(city=NEW_TOWN, country="USA")])
    release = actions.create_release("Nytt partnerskap", admin)
    actions.add_item(
        release, content.page, admin, revision=stored(draft_of(content.page, body=body))
    )
    actions.add_item(
        release, content.kim, admin, revision=stored(draft_of_contact(content.kim, phone=NEW_PHONE))
    )
    return content, outside, release


def test_the_preview_lists_the_release_pages_then_those_showing_its_contacts(planned):
    content, outside, release = planned
    entries = preview.pages(release)
    assert [(entry.page.pk, entry.in_release) for entry in entries] == [
        (content.page.pk, True),
        (outside.pk, False),
    ]


def test_the_admin_preview_shows_the_page_as_the_release_will_make_it(client, admin, planned):
    content, _outside, release = planned
    client.force_login(admin)
    response = client.get(reverse("releases_admin:preview", args=[release.pk, content.page.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert NEW_TOWN in html
    assert NEW_PHONE in html and OLD_PHONE not in html
    assert "Förhandsgranskning av utgåvan ”Nytt partnerskap”" in html
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]

    # Visitors still get the live page, with the old number and no new town.
    client.logout()
    live = client.get(content.page.url).content.decode()
    assert OLD_PHONE in live and NEW_PHONE not in live and NEW_TOWN not in live
    assert "Förhandsgranskning" not in live


def test_a_page_outside_the_release_is_previewed_with_the_new_contact(client, admin, planned):
    _content, outside, release = planned
    client.force_login(admin)
    detail = client.get(reverse("releases_admin:detail", args=[release.pk])).content.decode()
    url = reverse("releases_admin:preview", args=[release.pk, outside.pk])
    assert url in detail and "visar en av dess kontaktpersoner" in detail

    html = client.get(url).content.decode()
    assert NEW_PHONE in html and OLD_PHONE not in html
    assert OLD_PHONE in client.get(outside.url).content.decode()


def test_a_contact_the_release_unpublishes_is_gone_from_the_preview(client, admin, planned):
    content, outside, release = planned
    actions.add_item(release, content.kim, admin, action="unpublish")
    client.force_login(admin)
    html = client.get(reverse("releases_admin:preview", args=[release.pk, outside.pk]))
    assert "Kim Kontaktsson" not in html.content.decode()


def test_a_page_the_release_does_not_touch_has_no_preview(client, admin, planned):
    _content, _outside, release = planned
    other = make_page(title="Annat", slug="annat", body=[twin_town(city="Ingenstans")])
    client.force_login(admin)
    response = client.get(reverse("releases_admin:preview", args=[release.pk, other.pk]))
    assert response.status_code == 404


def test_the_headless_preview_serves_the_release_page_as_json(client, admin, planned, settings):
    content, outside, release = planned
    settings.HEADLESS_PREVIEW_URLS = {"*": FRONT_END}
    client.force_login(admin)
    detail = client.get(reverse("releases_admin:detail", args=[release.pk])).content.decode()
    link = reverse("headless_release_preview", args=[release.pk, content.page.pk])
    assert link in detail
    redirected = client.get(link)
    assert redirected.status_code == 302
    assert redirected["Location"].startswith(f"{FRONT_END}?token=")
    token = parse_qs(urlsplit(redirected["Location"]).query)["token"][0]
    client.logout()

    response = client.get("/api/v3/preview/", {"token": token})
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store, private"
    body = response.json()
    assert body["id"] == content.page.pk
    towns = [block["value"]["city"] for block in body["body"] if block["type"] == "twin_town"]
    assert NEW_TOWN in towns
    [contacts] = [block["value"] for block in body["body"] if block["type"] == "contacts"]
    assert NEW_PHONE in [contact["phone"] for contact in contacts["contacts"]]

    # The page outside the release, with the release's contact.
    token = headless_preview.issue_release_token(release.pk, outside.pk)
    outside_json = client.get("/api/v3/preview/", {"token": token}).json()
    [contacts] = [block["value"] for block in outside_json["body"] if block["type"] == "contacts"]
    assert [contact["phone"] for contact in contacts["contacts"]] == [NEW_PHONE]

    # The live page in the API is as it was.
    live = client.get(f"/api/v3/pages/{content.page.pk}/").json()
    assert NEW_TOWN not in str(live["body"]) and NEW_PHONE not in str(live["body"])


def test_a_forged_or_finished_release_token_is_a_swedish_404(client, admin, planned):
    content, _outside, release = planned
    token = headless_preview.issue_release_token(release.pk, content.page.pk)
    forged = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    response = client.get("/api/v3/preview/", {"token": forged})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert "gått ut" in response.json()["detail"]

    actions.cancel_release(release)
    assert client.get("/api/v3/preview/", {"token": token}).status_code == 404


def test_the_openapi_document_describes_the_release_preview(client, db):
    schema = client.get("/api/v3/openapi.json").json()
    operation = schema["paths"]["/api/v3/preview/"]["get"]
    assert "utgåva" in operation["description"]


def test_the_page_cache_neither_serves_nor_keeps_the_preview(
    client,
    admin,
    planned,
    pagecache_on,  # noqa: F811
):
    content, _outside, release = planned
    anonymous = Client()
    assert anonymous.get(content.page.url)["X-Page-Cache"] == "miss"
    client.force_login(admin)
    response = client.get(reverse("releases_admin:preview", args=[release.pk, content.page.pk]))
    assert "X-Page-Cache" not in response
    assert NEW_PHONE in response.content.decode()
    # The cached copy is still the live page.
    cached = anonymous.get(content.page.url)
    assert cached["X-Page-Cache"] == "hit"
    assert OLD_PHONE in cached.content.decode() and NEW_PHONE not in cached.content.decode()
