"""What the tests of the admin (tests/intl_pages/test_admin_*.py) share.

The form data the admin's JavaScript posts (a StreamField, its blocks and
lists, a contact's form), the admin's users, its URLs, and reading what the
admin saved and shows.

The user fixtures are plain pytest fixtures; a test module takes the ones it
needs by assigning them (`editor = admin_forms.editor`), which pytest finds
as it finds a fixture defined in the module.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail import blocks
from wagtail.rich_text import RichText
from wagtail.snippets.blocks import SnippetChooserBlock
from wagtail.test.utils import WagtailTestUtils
from wagtail.test.utils.form_data import (
    nested_form_data,
    querydict_from_html,
    rich_text,
    streamfield,
)

from intl_pages.models import InternationalPage

from .towns import ENDED_TOWN

PARAGRAPH_FEATURES = ["bold", "italic", "link", "document-link"]
DEMO_OWNER = "naringsliv@lidkoping.se"  # the demo page's "Sidansvarig"
CONTACT_PERMISSIONS = ["add_contact", "change_contact", "publish_contact"]
PASSWORD = "lösenord-123"


# --- Form data as the admin's JavaScript posts it ---------------------------


def list_block(values):
    """ListBlock form data: `count`, then `N-value`, `N-deleted` and `N-order`
    per item (wagtail.blocks.ListBlock.value_from_datadict). Use it inside
    `nested_form_data`, like `streamfield`."""
    data = {
        str(index): {"value": value, "deleted": "", "order": str(index)}
        for index, value in enumerate(values)
    }
    data["count"] = str(len(values))
    return data


_OMIT = object()


def block_form_data(block, value):
    """The form data that posts `value` of `block` back unchanged: what the
    editor's browser sends when the editor leaves a block as it is."""
    if isinstance(block, blocks.StreamBlock):
        return streamfield(
            [(child.block_type, block_form_data(child.block, child.value)) for child in value]
        )
    if isinstance(block, blocks.StructBlock):
        data = {
            name: block_form_data(child_block, value[name])
            for name, child_block in block.child_blocks.items()
        }
        return {name: item for name, item in data.items() if item is not _OMIT}
    if isinstance(block, blocks.ListBlock):
        return list_block([block_form_data(block.child_block, item) for item in value])
    if isinstance(block, blocks.RichTextBlock):
        return rich_text(value.source, features=block.features)
    if isinstance(block, blocks.BooleanBlock):
        return "on" if value else _OMIT  # an unticked checkbox is not posted
    if isinstance(block, SnippetChooserBlock):
        return str(value.pk) if value else ""
    return "" if value is None else str(value)


def edit_form_data(client, page, **changes):
    """The page's edit form as the admin shows it to the logged-in user, with
    `changes` applied: the plain fields from the HTML, the body as the block
    editor would post it."""
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    body_block = InternationalPage._meta.get_field("body").stream_block
    data.update(nested_form_data({"body": block_form_data(body_block, page.body)}))
    for name, value in changes.items():
        data[name] = value
    return data


# A page with one block of every kind, as `page_form` posts it.

TOWN = {
    "city": "Kecskemét",
    "region": "Bács-Kiskun",
    "partner": "Kecskeméts stad",
    "country": "Ungern",
    "agreement": "Vänortsavtal",
    "areas": ["Utbildning", "Kultur"],
    "funding": ["Kommunen", "EU"],
    "start_year": 2004,
    "end_year": None,
    "active": True,
    "latitude": Decimal("46.9062"),
    "longitude": Decimal("19.6913"),
}
PARTNERSHIP = {
    "partner": "Rockford, Illinois, USA",
    "kind": "Industriellt partnerskapsavtal",
    "signed_year": 2006,
    "signed_at": "Svensk-Amerikanska Entreprenörsdagarna i Lidköping",
    "parties_at_signing": ["Lidköpings kommun", "Rockford stad"],
    "updated_year": 2014,
    "covers": ["Skaraborgs 15 kommuner", "Winnebago countys 16 kommuner"],
    "vision": "väx lokalt genom att arbeta globalt",
    "students_benefited": "över 140",
    "trainee_exchanges": [
        {
            "count": 4,
            "origin": "Lidköping",
            "host": "näringslivsbolaget i Rockford",
            "months": "3–8",
        },
        {"count": 1, "origin": "Rockford", "host": "Lidköping", "months": "9"},
    ],
}
PARAGRAPH = (
    '<p>Vänorterna är en <b>viktig</b> resurs, se <a href="https://example.org/">här</a>.</p>'
)


def town_form(town, **changes):
    """A twin town block's form data: `town` (such as TOWN) with `changes`."""
    town = {**town, **changes}
    data = {
        name: "" if value is None else str(value)
        for name, value in town.items()
        if name not in ("areas", "funding", "active")
    }
    data["areas"] = list_block(town["areas"])
    data["funding"] = list_block(town["funding"])
    if town["active"]:
        data["active"] = "on"
    return data


def partnership_form(partnership):
    data = {name: str(value) for name, value in partnership.items() if not isinstance(value, list)}
    data["parties_at_signing"] = list_block(partnership["parties_at_signing"])
    data["covers"] = list_block(partnership["covers"])
    data["trainee_exchanges"] = list_block(
        [
            {name: str(value) for name, value in exchange.items()}
            for exchange in partnership["trainee_exchanges"]
        ]
    )
    return data


def page_form(contacts, title="Vänorter i Europa", slug="vanorter-i-europa", **extra):
    """Add-form data for a page with one block of every type: a heading,
    PARAGRAPH, a bullet list, TOWN, ENDED_TOWN, PARTNERSHIP and `contacts`."""
    return nested_form_data(
        {
            "title": title,
            "slug": slug,
            "introduction": "Om kommunens vänorter.",
            "body": streamfield(
                [
                    ("heading", "Våra vänorter"),
                    ("paragraph", rich_text(PARAGRAPH, features=PARAGRAPH_FEATURES)),
                    ("bullet_list", {"items": list_block(["Skolutbyten", "Kultur"])}),
                    ("twin_town", town_form(TOWN)),
                    ("twin_town", town_form(ENDED_TOWN)),
                    ("partnership", partnership_form(PARTNERSHIP)),
                    (
                        "contacts",
                        {
                            "heading": "Kontakt",
                            "contacts": list_block([str(contact.pk) for contact in contacts]),
                        },
                    ),
                ]
            ),
            **extra,
        }
    )


def contact_form(**changes):
    """A new contact's form data (the snippet's add view)."""
    return {
        "name": "Robin Påhittad",
        "title": "Kulturstrateg",
        "unit": "Kultur och fritid",
        "phone": "031-390 06 03",
        "email": "robin.pahittad@example.org",
        "go_live_at": "",
        "expire_at": "",
        **changes,
    }


def contact_data(contact, **changes):
    """`contact`'s edit form data as the admin shows it, with `changes`."""
    fields = ("name", "title", "unit", "phone", "email")
    return contact_form(**{**{name: getattr(contact, name) for name in fields}, **changes})


# --- URLs -------------------------------------------------------------------


def add_url(parent):
    return reverse("wagtailadmin_pages:add", args=["intl_pages", "internationalpage", parent.pk])


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def contact_edit_url(contact):
    return reverse("wagtailsnippets_intl_pages_contact:edit", args=[contact.pk])


# --- Reading what was saved and what the admin shows ------------------------


def plain(value):
    """A block value as plain Python, for comparing with what was posted."""
    if isinstance(value, blocks.StructValue):
        return {name: plain(item) for name, item in value.items()}
    if isinstance(value, blocks.list_block.ListValue | list):
        return [plain(item) for item in value]
    if isinstance(value, RichText):
        # Draftail numbers each paragraph; the numbers are not content.
        return re.sub(r' data-block-key="[^"]*"', "", value.source)
    return value


def field_input(response, name):
    """The form element named `name` in the response, or None."""
    return WagtailTestUtils.get_soup(response.content).find(attrs={"name": name})


# --- Users ------------------------------------------------------------------


def make_user(username, group=None, superuser=False):
    if superuser:
        return WagtailTestUtils.create_superuser(username, password=PASSWORD)
    user = WagtailTestUtils.create_user(username, password=PASSWORD)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db):
    return make_user("redaktor", "Editors")


@pytest.fixture
def moderator(db):
    return make_user("moderator", "Moderators")


@pytest.fixture
def superuser(db):
    return make_user("admin", superuser=True)


@pytest.fixture
def contact_editors(db):
    """Wagtail's Editors group, which migration 0004 lets add, change and
    publish contacts (but not delete them)."""
    editors = Group.objects.get(name="Editors")
    granted = set(
        editors.permissions.filter(content_type__app_label="intl_pages").values_list(
            "codename", flat=True
        )
    )
    assert set(CONTACT_PERMISSIONS) <= granted
    assert "delete_contact" not in granted
    return editors


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client
