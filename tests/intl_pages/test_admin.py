"""The Swedish admin as editors, moderators and administrators use it.

Everything goes through Wagtail's own views with the form data a browser
posts: a page built from every kind of block, Swedish validation messages,
the owner address that only moderators may change, and contact people with
drafts, publishing and schedules.
"""

import json
import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from wagtail import blocks
from wagtail.models import Page, Revision
from wagtail.rich_text import RichText
from wagtail.snippets.blocks import SnippetChooserBlock
from wagtail.test.utils import WagtailPageTestCase, WagtailTestUtils
from wagtail.test.utils.form_data import (
    nested_form_data,
    querydict_from_html,
    rich_text,
    streamfield,
)
from wagtail.users.models import UserProfile

from intl_pages.demo import load_demo
from intl_pages.models import (
    OWNER_EMAIL_PERMISSION,
    Contact,
    HomePage,
    InternationalPage,
)

from .towns import ENDED_TOWN

PARAGRAPH_FEATURES = ["bold", "italic", "link", "document-link"]
DEMO_OWNER = "naringsliv@lidkoping.se"
CONTACT_PERMISSIONS = ["add_contact", "change_contact", "publish_contact"]


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


def latest_revision(obj):
    return type(obj).objects.get(pk=obj.pk).latest_revision


def body_of(page):
    return [(block.block_type, plain(block.value)) for block in page.body]


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


def menu_items(soup):
    """{label: url} of the admin's main menu, which the page hands to the
    sidebar's JavaScript as JSON."""
    items = {}

    def collect(node):
        if isinstance(node, dict):
            if "label" in node and "url" in node:
                items[node["label"]] = node["url"]
            node = list(node.values())
        if isinstance(node, list):
            for child in node:
                collect(child)

    collect(json.loads(soup.find(id="wagtail-sidebar-props").string))
    return items


def field_input(response, name):
    return WagtailTestUtils.get_soup(response.content).find(attrs={"name": name})


def swedish(message):
    with translation.override("sv"):
        return gettext(message)


# --- Users ------------------------------------------------------------------


def make_user(username, group=None, superuser=False):
    if superuser:
        return WagtailTestUtils.create_superuser(username, password="lösenord-123")
    user = WagtailTestUtils.create_user(username, password="lösenord-123")
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


def add_url(parent):
    return reverse("wagtailadmin_pages:add", args=["intl_pages", "internationalpage", parent.pk])


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


# --- 1. Creating a page from every kind of block ----------------------------

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
    """Add-form data for a page with one block of every type."""
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


def assert_every_block_saved(page, contacts):
    assert [block.block_type for block in page.body] == [
        "heading",
        "paragraph",
        "bullet_list",
        "twin_town",
        "twin_town",
        "partnership",
        "contacts",
    ]
    heading, paragraph, bullets, town, ended, partnership, contact_block = page.body
    assert heading.value == "Våra vänorter"
    assert plain(paragraph.value) == PARAGRAPH
    assert plain(bullets.value) == {"items": ["Skolutbyten", "Kultur"]}
    assert plain(town.value) == TOWN
    assert plain(ended.value) == ENDED_TOWN
    assert plain(partnership.value) == PARTNERSHIP
    assert plain(contact_block.value) == {"heading": "Kontakt", "contacts": contacts}


class TestCreatingAPage(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.home = load_demo()
        cls.contacts = list(Contact.objects.order_by("name"))
        cls.editor = make_user("redaktor", "Editors")
        cls.moderator = make_user("moderator", "Moderators")

    def test_the_international_page_goes_under_the_home_page_only(self):
        self.assertAllowedParentPageTypes(InternationalPage, {HomePage})
        self.assertAllowedSubpageTypes(InternationalPage, {})

    def test_an_editor_creates_a_draft_from_every_kind_of_block(self):
        self.client.force_login(self.editor)
        form = self.client.get(add_url(self.home))
        self.assertEqual(form.status_code, 200)
        # Editors never see the owner address, not even on a new page...
        self.assertIsNone(field_input(form, "owner_email"))

        # ...and what they post for it is ignored.
        data = page_form(self.contacts, owner_email="evil@example.org")
        self.assertCanCreate(self.home, InternationalPage, data, publish=False)

        page = InternationalPage.objects.get(slug="vanorter-i-europa")
        self.assertEqual(page.get_parent().specific, self.home)
        self.assertFalse(page.live)
        self.assertEqual(page.owner, self.editor)
        # The required owner address falls back on the web team's address.
        self.assertEqual(page.owner_email, settings.DEFAULT_PAGE_OWNER_EMAIL)
        assert_every_block_saved(page, self.contacts)

        revision = page.latest_revision
        self.assertEqual(revision.user, self.editor)
        draft = revision.as_object()
        self.assertEqual(draft.owner_email, settings.DEFAULT_PAGE_OWNER_EMAIL)
        assert_every_block_saved(draft, self.contacts)

    def test_an_editor_submits_a_new_page_for_moderation(self):
        self.client.force_login(self.editor)
        data = page_form(self.contacts, **{"action-submit": "action-submit"})
        response = self.client.post(add_url(self.home), data)
        self.assertRedirects(response, reverse("wagtailadmin_explore", args=[self.home.pk]))

        page = InternationalPage.objects.get(slug="vanorter-i-europa")
        self.assertFalse(page.live)
        self.assertEqual(page.current_workflow_state.status, "in_progress")
        assert_every_block_saved(page.latest_revision.as_object(), self.contacts)

    def test_an_editor_cannot_publish_a_new_page(self):
        self.client.force_login(self.editor)
        data = page_form(self.contacts, **{"action-publish": "action-publish"})
        response = self.client.post(add_url(self.home), data)

        page = InternationalPage.objects.get(slug="vanorter-i-europa")
        # Wagtail saves a draft instead and stays in the editor.
        self.assertRedirects(response, edit_url(page))
        self.assertFalse(page.live)

    def test_a_moderator_publishes_a_new_page_with_its_owner(self):
        self.client.force_login(self.moderator)
        form = self.client.get(add_url(self.home))
        self.assertIsNotNone(field_input(form, "owner_email"))

        data = page_form(self.contacts, owner_email="kultur@lidkoping.se")
        self.assertCanCreate(self.home, InternationalPage, data, publish=True)

        page = InternationalPage.objects.get(slug="vanorter-i-europa")
        self.assertTrue(page.live)
        self.assertEqual(page.owner_email, "kultur@lidkoping.se")
        assert_every_block_saved(page, self.contacts)

        self.client.logout()
        html = self.client.get(page.url).content.decode()
        for text in ("Kecskemét", "Bács-Kiskun", "Xindu District", "3–8", "kultur@lidkoping.se"):
            self.assertIn(text, html)
        for contact in self.contacts:
            self.assertIn(contact.phone, html)


# --- 2. Validation errors in Swedish ----------------------------------------


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


def contact_form(**changes):
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


# --- 3. Only moderators and administrators change the owner address ---------


def test_the_owner_email_permission_belongs_to_moderators_only(db):
    permission = Permission.objects.get(
        content_type__app_label="intl_pages", codename="change_owner_email"
    )
    assert OWNER_EMAIL_PERMISSION == "intl_pages.change_owner_email"
    assert permission.name == "Kan ändra sidansvarig (mottagare av återkoppling)"
    assert Group.objects.get(name="Moderators").permissions.filter(pk=permission.pk).exists()
    assert not Group.objects.get(name="Editors").permissions.filter(pk=permission.pk).exists()


def test_editor_cannot_see_or_change_the_owner_email(editor_client, editor, demo_page):
    body_before = body_of(demo_page)
    response = editor_client.get(edit_url(demo_page))
    assert response.status_code == 200
    assert field_input(response, "owner_email") is None
    assert field_input(response, "introduction") is not None

    data = edit_form_data(
        editor_client,
        demo_page,
        owner_email="evil@example.org",
        introduction="En ny ingress.",
    )
    response = editor_client.post(edit_url(demo_page), data)
    assert response.status_code == 302

    # The draft was saved (the new introduction) but kept the owner address.
    draft = latest_revision(demo_page)
    assert draft.user == editor
    draft_page = draft.as_object()
    assert draft_page.introduction == "En ny ingress."
    assert draft_page.owner_email == DEMO_OWNER
    assert body_of(draft_page) == body_before
    live = InternationalPage.objects.get(pk=demo_page.pk)
    assert live.owner_email == DEMO_OWNER
    assert live.has_unpublished_changes
    assert {revision.content["owner_email"] for revision in demo_page.revisions.all()} == {
        DEMO_OWNER
    }


@pytest.mark.parametrize("role", ["moderator", "superuser"])
def test_moderators_and_administrators_change_the_owner_email(client, demo_page, role, request):
    user = request.getfixturevalue(role)
    body_before = body_of(demo_page)
    client.force_login(user)
    response = client.get(edit_url(demo_page))
    assert field_input(response, "owner_email")["value"] == DEMO_OWNER

    data = edit_form_data(
        client,
        demo_page,
        owner_email="internationellt@lidkoping.se",
        **{"action-publish": "action-publish"},
    )
    response = client.post(edit_url(demo_page), data)
    assert response.status_code == 302

    revision = latest_revision(demo_page)
    assert revision.user == user
    assert revision.as_object().owner_email == "internationellt@lidkoping.se"
    live = InternationalPage.objects.get(pk=demo_page.pk)
    assert live.live_revision == revision
    assert live.owner_email == "internationellt@lidkoping.se"
    # The body went through the form unchanged.
    assert body_of(live) == body_before
    client.logout()
    assert "internationellt@lidkoping.se" in client.get(live.url).content.decode()


# --- 4. Contact people: publish, drafts, schedules --------------------------


def contact_edit_url(contact):
    return reverse("wagtailsnippets_intl_pages_contact:edit", args=[contact.pk])


def contact_data(contact, **changes):
    fields = ("name", "title", "unit", "phone", "email")
    return contact_form(**{**{name: getattr(contact, name) for name in fields}, **changes})


def page_html(client, page):
    client.logout()
    return client.get(page.url).content.decode()


@pytest.mark.usefixtures("contact_editors")
def test_editor_creates_and_publishes_a_contact(editor_client, editor):
    response = editor_client.post(
        reverse("wagtailsnippets_intl_pages_contact:add"),
        {**contact_form(), "action-publish": "action-publish"},
    )
    assert response.status_code == 302

    contact = Contact.objects.get(email="robin.pahittad@example.org")
    assert contact.live
    assert not contact.has_unpublished_changes
    assert contact.live_revision == contact.latest_revision
    assert contact.live_revision.user == editor
    assert (contact.name, contact.phone) == ("Robin Påhittad", "031-390 06 03")


@pytest.mark.usefixtures("contact_editors")
def test_a_contact_draft_is_not_shown_until_published(client, editor, demo_page):
    contact = Contact.objects.get(name="Kim Exempelsson")
    old_phone, new_phone = contact.phone, "031-390 06 09"
    assert old_phone in page_html(client, demo_page)

    client.force_login(editor)
    response = client.post(contact_edit_url(contact), contact_data(contact, phone=new_phone))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == old_phone
    assert contact.has_unpublished_changes
    assert contact.latest_revision.as_object().phone == new_phone
    html = page_html(client, demo_page)
    assert old_phone in html
    assert new_phone not in html

    client.force_login(editor)
    response = client.post(
        contact_edit_url(contact),
        {**contact_data(contact, phone=new_phone), "action-publish": "action-publish"},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == new_phone
    assert not contact.has_unpublished_changes
    html = page_html(client, demo_page)
    assert new_phone in html
    assert old_phone not in html


@pytest.mark.usefixtures("contact_editors")
def test_a_scheduled_contact_change_waits_for_its_time(client, editor, demo_page):
    contact = Contact.objects.get(name="Kim Exempelsson")
    old_phone, new_phone = contact.phone, "031-390 06 09"
    zone = ZoneInfo(settings.TIME_ZONE)
    day = timezone.localtime(timezone=zone).date() + timedelta(days=7)
    go_live_at = datetime.combine(day, time(12, 0), tzinfo=zone)

    client.force_login(editor)
    response = client.post(
        contact_edit_url(contact),
        {
            **contact_data(
                contact, phone=new_phone, go_live_at=go_live_at.strftime("%Y-%m-%d %H:%M")
            ),
            "action-publish": "action-publish",
        },
    )
    assert response.status_code == 302
    # Wagtail's own Swedish lacks this message; the project's catalogue has it.
    [message] = [str(m) for m in response.wsgi_request._messages]
    assert message.startswith(
        "Kontaktperson &#x27;Kim Exempelsson (Utvecklingsledare)&#x27; är publicerad och "
        "denna version har schemalagts för publicering."
    )

    revision = Revision.objects.get(approved_go_live_at__isnull=False)
    assert revision.approved_go_live_at == go_live_at
    assert revision.object_id == str(contact.pk)
    assert revision.user == editor
    assert revision.as_object().phone == new_phone
    contact.refresh_from_db()
    assert contact.scheduled_revision == revision
    assert contact.live
    assert contact.phone == old_phone
    html = page_html(client, demo_page)
    assert old_phone in html
    assert new_phone not in html


@pytest.mark.usefixtures("contact_editors")
def test_editor_finds_a_contact_by_searching(editor_client, demo_page):
    response = editor_client.get(
        reverse("wagtailsnippets_intl_pages_contact:list"), {"q": "Exempelsson"}
    )

    assert response.status_code == 200
    assert [str(contact) for contact in response.context["object_list"]] == [
        "Kim Exempelsson (Utvecklingsledare)"
    ]
    # A partial word, in other case, finds the contact too (autocomplete).
    response = editor_client.get(
        reverse("wagtailsnippets_intl_pages_contact:list"), {"q": "PÅHITT"}
    )
    assert response.status_code == 200
    assert [str(contact) for contact in response.context["object_list"]] == [
        "Alex Påhittad (Näringslivsutvecklare)"
    ]


# --- 5. The admin speaks Swedish --------------------------------------------


def wagtail_messages(*folders):
    """The literal messages that Wagtail's views in `folders` pass to gettext."""
    import ast
    from pathlib import Path

    import wagtail

    root = Path(wagtail.__file__).parent
    for folder in folders:
        for path in sorted((root / folder).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) in {"_", "gettext", "gettext_lazy"}
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    yield path.name, node.args[0].value


def test_every_message_of_the_snippet_views_is_in_swedish():
    """The views an editor goes through with a contact (Wagtail's generic
    views): every message in Swedish, from Wagtail's catalogue or the project's."""
    untranslated = []
    with translation.override("sv"):
        for name, message in wagtail_messages("admin/views/generic", "snippets/views"):
            words = re.sub(r"%\(\w+\)s|<[^>]+>", "", message)
            if re.search(r"[A-Za-z]{3}", words) and gettext(message) == message:
                untranslated.append((name, message))
    assert untranslated == []


@pytest.mark.usefixtures("contact_editors")
def test_the_admin_is_in_swedish(editor_client, editor):
    # No language chosen in the profile: the site's language applies.
    assert UserProfile.get_for_user(editor).preferred_language == ""
    assert settings.LANGUAGE_CODE == "sv"

    response = editor_client.get(reverse("wagtailadmin_home"))

    assert response.status_code == 200
    soup = WagtailTestUtils.get_soup(response.content)
    assert soup.html["lang"] == "sv"
    menu = menu_items(soup)
    assert menu["Kontaktpersoner"] == reverse("wagtailsnippets_intl_pages_contact:list")
    assert menu["Sidor"] == reverse("wagtailadmin_explore_root")  # Wagtail's own, translated
