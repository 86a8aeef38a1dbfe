"""Validation errors in the admin, in Swedish: a twin town's years and
coordinates, the owner address, a contact's phone number. Nothing is saved
when the form is refused."""

import json

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from wagtail.models import Page, Revision
from wagtail.test.utils import WagtailTestUtils
from wagtail.test.utils.form_data import nested_form_data, streamfield

from intl_pages.models import Contact, InternationalPage

from . import admin_forms
from .admin_forms import (
    DEMO_OWNER,
    TOWN,
    add_url,
    contact_form,
    edit_form_data,
    edit_url,
    page_form,
    town_form,
)

# The admin's users, as fixtures of this module.
contact_editors = admin_forms.contact_editors
editor = admin_forms.editor
editor_client = admin_forms.editor_client
moderator = admin_forms.moderator
moderator_client = admin_forms.moderator_client


def swedish(message):
    with translation.override("sv"):
        return gettext(message)


def block_errors(response, field="body"):
    """{"3.end_year": [messages]} for the errors of a StreamField.

    The admin hands block errors to its JavaScript as JSON in a data
    attribute (with å, ä and ö as \\u escapes), so they are read from there,
    exactly as the browser shows them.
    """
    soup = WagtailTestUtils.get_soup(response.content)
    arguments = json.loads(soup.find(id=field)["data-w-block-arguments-value"])
    found = {}

    def collect(errors, path):
        if isinstance(errors, dict):
            if "messages" in errors:
                found[".".join(path)] = errors["messages"]
            for name, child in (errors.get("blockErrors") or {}).items():
                collect(child, [*path, str(name)])
            for child in errors.get("nonBlockErrors") or []:
                collect(child, path)

    collect(arguments[-1] or {}, [])
    return found


def post_page_with_town(client, home, **town_changes):
    """Posts a new page with one twin town, as a draft."""
    data = nested_form_data(
        {
            "title": "Felaktig vänort",
            "slug": "felaktig-vanort",
            "introduction": "Ingress.",
            "body": streamfield(
                [("heading", "Vänorter"), ("twin_town", town_form(TOWN, **town_changes))]
            ),
        }
    )
    return client.post(add_url(home), data)


def assert_not_created(response, pages_before):
    assert response.status_code == 200
    assert swedish("The page could not be created due to validation errors.") in (
        response.content.decode()
    )
    assert Page.objects.count() == pages_before
    assert not InternationalPage.objects.filter(slug="felaktig-vanort").exists()


def test_end_year_before_start_year_is_refused_in_swedish(editor_client, demo_page):
    home = demo_page.get_parent()
    pages_before = Page.objects.count()

    # Refused even as a draft: a draft only skips "required" checks.
    response = post_page_with_town(editor_client, home, start_year=2010, end_year=2004)

    assert_not_created(response, pages_before)
    assert block_errors(response) == {
        "1.end_year": ["Slutåret kan inte ligga före startåret (2010)."]
    }


@pytest.mark.parametrize(
    "coordinates, missing",
    [
        ({"latitude": "46.9062", "longitude": None}, "longitude"),
        ({"latitude": None, "longitude": "19.6913"}, "latitude"),
    ],
)
def test_half_a_coordinate_is_refused_in_swedish(editor_client, demo_page, coordinates, missing):
    home = demo_page.get_parent()
    pages_before = Page.objects.count()

    response = post_page_with_town(editor_client, home, **coordinates)

    assert_not_created(response, pages_before)
    assert block_errors(response) == {
        f"1.{missing}": ["Fyll i både latitud och longitud, eller ingen av dem."]
    }


def test_invalid_owner_email_is_refused_in_swedish_on_create(moderator_client, demo_page):
    home = demo_page.get_parent()
    pages_before = Page.objects.count()
    data = page_form(
        Contact.objects.all(),
        title="Felaktig vänort",
        slug="felaktig-vanort",
        owner_email="naringsliv(at)lidkoping.se",
        **{"action-publish": "action-publish"},
    )

    response = moderator_client.post(add_url(home), data)

    assert_not_created(response, pages_before)
    # Django's own Swedish wording ("Fyll i", not "Ange").
    message = "Fyll i en giltig e-postadress."
    assert swedish("Enter a valid email address.") == message
    assert response.context["form"].errors == {"owner_email": [message]}
    assert message in response.content.decode()


def test_invalid_owner_email_is_refused_in_swedish_on_edit(moderator_client, demo_page):
    revisions_before = demo_page.revisions.count()
    data = edit_form_data(
        moderator_client,
        demo_page,
        owner_email="naringsliv(at)lidkoping.se",
        **{"action-publish": "action-publish"},
    )

    response = moderator_client.post(edit_url(demo_page), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert swedish("The page could not be saved due to validation errors.") in html
    assert "Fyll i en giltig e-postadress." in html
    assert demo_page.revisions.count() == revisions_before
    demo_page.refresh_from_db()
    assert demo_page.owner_email == DEMO_OWNER


@pytest.mark.usefixtures("contact_editors")
def test_a_contact_with_a_bad_phone_number_is_refused_in_swedish(editor_client):
    contacts_before = Contact.objects.count()

    response = editor_client.post(
        reverse("wagtailsnippets_intl_pages_contact:add"),
        {**contact_form(phone="ring växeln"), "action-publish": "action-publish"},
    )

    assert response.status_code == 200
    message = "Skriv telefonnumret med siffror, till exempel 0510-77 00 00 eller +46 510 77 00 00."
    assert response.context["form"].errors == {"phone": [message]}
    assert message in response.content.decode()
    assert Contact.objects.count() == contacts_before
    assert not Revision.objects.filter(object_str__startswith="Robin").exists()
