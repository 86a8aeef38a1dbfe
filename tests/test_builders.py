"""The builders of tests/builders.py make what they say, as the admin would."""

import pytest
from django.contrib.contenttypes.models import ContentType
from wagtail.blocks.stream_block import StreamBlockValidationError
from wagtail.models import Locale, ModelLogEntry, Page, PageLogEntry, Site

from intl_pages.demo import load_demo
from intl_pages.models import Contact, HomePage, InternationalPage
from tests.builders import (
    contacts_block,
    heading,
    make_contact,
    make_page,
    make_site_root,
    paragraph,
    twin_town,
)


def contact_actions(contact):
    return set(
        ModelLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Contact), object_id=str(contact.pk)
        ).values_list("action", flat=True)
    )


def test_make_site_root_serves_a_home_page_at_the_root_and_is_idempotent(client, db):
    home = make_site_root()

    assert isinstance(home, HomePage)
    assert home.live
    assert home.get_parent().pk == Page.get_first_root_node().pk
    site = Site.objects.get(is_default_site=True)
    assert site.root_page_id == home.pk
    # Wagtail's "Welcome" page is gone, and with it its Site.
    assert list(Page.objects.filter(depth=2).values_list("pk", flat=True)) == [home.pk]
    assert Site.objects.count() == 1
    assert client.get("/").status_code == 200

    assert make_site_root().pk == home.pk
    assert HomePage.objects.count() == 1
    assert Site.objects.count() == 1


def test_make_site_root_builds_on_an_emptied_database(db):
    # What a transactional test leaves behind: no pages, sites or locales.
    Site.objects.all().delete()
    Page.objects.all().delete()
    Locale.objects.all().delete()

    home = make_site_root()
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    assert make_page(title="Efter tömningen").live


def test_make_site_root_takes_the_demo_home_page_and_load_demo_takes_it(db):
    demo_home = load_demo()
    assert make_site_root().pk == demo_home.pk

    assert load_demo().pk == demo_home.pk
    # One home page per language: the Swedish one and its English translation.
    languages = HomePage.objects.values_list("locale__language_code", flat=True)
    assert sorted(languages) == ["en", "sv"]


def test_make_page_publishes_a_page_under_the_home_page(client, db):
    page = make_page(
        title="Vänorter i Europa",
        body=[heading("Våra vänorter"), paragraph("<p>Ett stycke.</p>")],
        owner_email="kultur@example.org",
    )

    assert isinstance(page, InternationalPage)
    assert page.slug == "vanorter-i-europa"
    assert page.get_parent().specific == make_site_root()
    assert page.live and not page.has_unpublished_changes
    assert page.live_revision == page.latest_revision
    assert page.owner_email == "kultur@example.org"
    assert [block.block_type for block in page.body] == ["heading", "paragraph"]
    assert set(PageLogEntry.objects.filter(page=page).values_list("action", flat=True)) == {
        "wagtail.create",
        "wagtail.publish",
    }
    html = client.get("/vanorter-i-europa/").content.decode()
    assert "Våra vänorter" in html
    assert "kultur@example.org" in html


def test_make_page_with_live_false_leaves_a_draft_never_published(client, db):
    page = make_page(title="Utkast", slug="utkast", live=False)

    assert not page.live
    assert page.has_unpublished_changes
    assert page.live_revision is None and page.first_published_at is None
    assert page.latest_revision.as_object().title == "Utkast"
    assert client.get("/utkast/").status_code == 404


def test_make_contact_publishes_through_a_revision(db):
    contact = make_contact(name="Robin Påhittad")

    assert contact.live and not contact.has_unpublished_changes
    assert contact.live_revision == contact.latest_revision
    assert contact.email == "robin-pahittad@example.org"
    assert contact_actions(contact) == {"wagtail.create", "wagtail.publish"}


def test_make_contact_with_live_false_leaves_a_draft_never_published(db):
    contact = make_contact(name="Sam Utkast", live=False)

    assert not contact.live
    assert contact.has_unpublished_changes
    assert contact.live_revision is None and contact.first_published_at is None
    assert contact.latest_revision.as_object().name == "Sam Utkast"
    assert contact_actions(contact) == {"wagtail.create"}


def test_a_page_of_built_blocks_shows_its_town_and_its_published_contacts_only(client, db):
    kim = make_contact(name="Kim Publicerad")
    sam = make_contact(name="Sam Utkast", live=False)
    page = make_page(
        title="Vänorter",
        body=[twin_town(city="Kecskemét", end_year=2020, active=False), contacts_block(sam, kim)],
    )

    town, contacts = page.body
    assert town.value["city"] == "Kecskemét"
    assert town.value["end_year"] == 2020
    assert [contact.pk for contact in contacts.value["contacts"]] == [sam.pk, kim.pk]
    html = client.get(page.url).content.decode()
    assert "Kecskemét" in html
    assert "Kim Publicerad" in html
    assert "Sam Utkast" not in html


def test_block_builders_refuse_what_the_blocks_do_not_have(db):
    with pytest.raises(TypeError, match="stad"):
        twin_town(stad="Kecskemét")
    with pytest.raises(TypeError):
        contacts_block()
    # An invalid town is refused when the page is built, as in the admin.
    with pytest.raises(StreamBlockValidationError) as error:
        make_page(title="Fel", body=[twin_town(start_year=2010, end_year=2004)])
    [town_errors] = error.value.block_errors.values()
    assert "end_year" in town_errors.block_errors
    assert not InternationalPage.objects.filter(slug="fel").exists()
