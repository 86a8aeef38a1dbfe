"""Preview for headless front-ends: the preview panel's unsaved state, as the
API's page JSON, through a signed token that expires; a forged or expired
token a 404 problem, never an error page."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.urls import reverse
from pydantic import TypeAdapter
from wagtail.models import GroupPagePermission

from headless import preview
from intl_pages.api import BodyItem
from tests.builders import contacts_block, make_contact, make_page, twin_town
from tests.intl_pages.admin_forms import edit_form_data, make_user

FRONT_END = "https://front.lidkoping.example.org/preview"


@pytest.fixture
def front_end(settings):
    settings.HEADLESS_PREVIEW_URLS = {"*": FRONT_END}


@pytest.fixture
def page(db):
    kim = make_contact("Kim Exempelsson")
    return make_page(
        title="Vänorter",
        body=[twin_town(city="Kecskemét", country="Ungern"), contacts_block(kim)],
    )


def editor_client(client, page):
    client.force_login(make_user("admin", superuser=True))
    return client


def preview_token(client, page, **changes):
    """As the preview panel does: the form's state posted, then the front-end
    preview asked for. Returns the token the front-end gets."""
    data = edit_form_data(client, page, **changes)
    posted = client.post(reverse("wagtailadmin_pages:preview_on_edit", args=(page.pk,)), data)
    assert posted.json()["is_valid"], posted.content
    response = client.get(reverse("headless_preview", args=(page.pk,)))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{FRONT_END}?token=")
    return parse_qs(urlsplit(response["Location"]).query)["token"][0]


def test_the_front_end_gets_the_unsaved_state_as_typed_json(client, page, front_end):
    editor = editor_client(client, page)
    token = preview_token(editor, page, title="Vänorter – osparad rubrik")
    editor.logout()

    response = client.get("/api/v3/preview/", {"token": token})
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store, private"
    data = response.json()
    assert data["title"] == "Vänorter – osparad rubrik"
    TypeAdapter(list[BodyItem]).validate_python(data["body"])
    # Nothing was saved: the page and its API detail are as published.
    assert client.get(f"/api/v3/pages/{page.pk}/").json()["title"] == "Vänorter"


def test_a_tampered_token_is_a_404_problem(client, page, front_end):
    token = preview_token(editor_client(client, page), page)
    for forged in (token[:-2] + "xx", "inte-en-token", ""):
        response = client.get("/api/v3/preview/", {"token": forged})
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_an_expired_token_is_a_404(client, page, front_end, settings, monkeypatch):
    token = preview_token(editor_client(client, page), page)
    later = time.time() + settings.HEADLESS_PREVIEW_SECONDS + 1
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert client.get("/api/v3/preview/", {"token": token}).status_code == 404


def test_only_editors_of_the_page_can_preview_it(client, page, front_end):
    # An admin user whose group has no rights on the page tree.
    GroupPagePermission.objects.filter(group__name="Editors").delete()
    client.force_login(make_user("besokare", "Editors"))
    response = client.get(reverse("headless_preview", args=(page.pk,)))
    assert response.status_code in (302, 403)
    assert not response.get("Location", "").startswith(FRONT_END)


def test_the_edit_view_offers_it_only_where_a_front_end_is_set(client, page, settings):
    editor = editor_client(client, page)
    edit = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    settings.HEADLESS_PREVIEW_URLS = {}
    assert "Förhandsgranska i front-end" not in editor.get(edit).content.decode()
    settings.HEADLESS_PREVIEW_URLS = {"*": FRONT_END}
    assert "Förhandsgranska i front-end" in editor.get(edit).content.decode()


def test_the_token_names_only_a_key(page, front_end):
    state = {"title": "Vänorter – hemligt utkast"}
    token = preview.issue_token(state)
    # Signed, not encrypted: the token carries a random key, no part of the state.
    key = token.split(":")[0]
    assert len(key) == 32 and int(key, 16) >= 0
    assert preview.redeem_token(token) == state


def test_without_the_panels_state_the_latest_revision_is_previewed(client, page, front_end):
    editor = editor_client(client, page)
    draft = page.get_latest_revision_as_object()
    draft.title = "Vänorter – sparat utkast"
    draft.save_revision()
    response = editor.get(reverse("headless_preview", args=(page.pk,)))
    assert response.status_code == 302
    token = parse_qs(urlsplit(response["Location"]).query)["token"][0]
    assert client.get("/api/v3/preview/", {"token": token}).json()["title"] == (
        "Vänorter – sparat utkast"
    )


def test_a_half_filled_block_shows_wagtails_preview_error_not_a_500(client, page, front_end):
    editor = editor_client(client, page)
    data = edit_form_data(editor, page)
    # The first twin town without its start year: the panel defers required fields.
    start_year = next(key for key in data if key.endswith("-value-start_year"))
    data[start_year] = ""
    editor.post(reverse("wagtailadmin_pages:preview_on_edit", args=(page.pk,)), data)
    response = editor.get(reverse("headless_preview", args=(page.pk,)))
    assert response.status_code == 200
    assert "Location" not in response
