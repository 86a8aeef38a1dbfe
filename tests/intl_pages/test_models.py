"""The content model: block validation, the stamps, published-only contacts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.blocks.struct_block import StructBlockValidationError

from intl_pages.blocks import PartnershipBlock, TwinTownBlock
from intl_pages.models import Contact, InternationalPage, PageUpdateStamp
from tests.builders import contacts_block, make_contact, make_page

from .towns import ENDED_TOWN as TOWN


def clean_town(**changes):
    block = TwinTownBlock()
    return block.clean(block.to_python({**TOWN, **changes}))


def test_twin_town_accepts_a_closed_period():
    value = clean_town()
    assert (value["start_year"], value["end_year"], value["active"]) == (2011, 2020, False)


def test_twin_town_end_year_before_start_year_is_refused_in_swedish():
    with pytest.raises(StructBlockValidationError) as error:
        clean_town(end_year=2010)
    message = error.value.block_errors["end_year"].messages[0]
    assert message == "Slutåret kan inte ligga före startåret (2011)."


def test_twin_town_coordinates_come_in_pairs():
    with pytest.raises(StructBlockValidationError) as error:
        clean_town(latitude="46.906200")
    assert "longitude" in error.value.block_errors
    value = clean_town(latitude="46.9062", longitude="19.6913")
    assert value["latitude"] == Decimal("46.9062")


def test_twin_town_latitude_out_of_range_is_refused():
    with pytest.raises(StructBlockValidationError) as error:
        clean_town(latitude="91", longitude="10")
    assert "latitude" in error.value.block_errors


def test_twin_town_agreement_must_be_one_of_the_four():
    with pytest.raises(StructBlockValidationError) as error:
        clean_town(agreement="Kompisavtal")
    assert "agreement" in error.value.block_errors


def test_partnership_cannot_be_updated_before_it_was_signed():
    block = PartnershipBlock()
    value = block.to_python(
        {
            "partner": "Rockford, Illinois, USA",
            "kind": "Industriellt partnerskapsavtal",
            "signed_year": 2006,
            "parties_at_signing": ["Lidköpings kommun", "Rockford stad"],
            "updated_year": 2004,
            "covers": [],
        }
    )
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(value)
    assert "updated_year" in error.value.block_errors


def test_bad_owner_email_never_reaches_the_database(demo_page):
    demo_page.owner_email = "inte en adress"
    with pytest.raises(ValidationError) as error:
        demo_page.save_revision()
    assert "owner_email" in error.value.message_dict
    assert InternationalPage.objects.get(pk=demo_page.pk).owner_email == "naringsliv@lidkoping.se"


def test_bad_phone_is_refused_in_swedish(db):
    contact = Contact(name="A", title="B", unit="C", phone="ring mig", email="a@example.org")
    with pytest.raises(ValidationError) as error:
        contact.full_clean()
    assert error.value.message_dict["phone"][0].startswith("Skriv telefonnumret med siffror")


# "Senast uppdaterad"


def stamp_of(page):
    return PageUpdateStamp.objects.get(page=page).updated_at


def test_publishing_moves_the_stamp_and_a_draft_does_not(demo_page):
    first = stamp_of(demo_page)
    assert first == demo_page.last_published_at

    demo_page.title = "Utkast"
    demo_page.save_revision()
    assert stamp_of(demo_page) == first

    demo_page.refresh_from_db()
    demo_page.get_latest_revision().publish()
    demo_page.refresh_from_db()
    assert stamp_of(demo_page) > first
    assert stamp_of(demo_page) == demo_page.last_published_at


def test_republishing_an_old_revision_never_writes_an_old_stamp_back(demo_page):
    old_revision = demo_page.live_revision
    demo_page.title = "Ny titel"
    demo_page.save_revision().publish()
    newer = stamp_of(demo_page)

    old_revision.publish()
    demo_page.refresh_from_db()
    assert demo_page.title == "Utveckling genom internationella samarbeten"
    # Republishing is itself a change the visitor sees: the stamp moves on
    # to it, never back to the old revision's time.
    assert stamp_of(demo_page) > newer
    assert stamp_of(demo_page) == demo_page.last_published_at


def test_the_stamp_is_created_moves_forward_and_never_back(demo_page):
    PageUpdateStamp.objects.filter(page=demo_page).delete()
    now = timezone.now()

    assert PageUpdateStamp.objects.move_forward(demo_page.pk, now) is True  # created
    assert stamp_of(demo_page) == now
    assert PageUpdateStamp.objects.move_forward(demo_page.pk, now - timedelta(days=1)) is False
    assert PageUpdateStamp.objects.move_forward(demo_page.pk, now) is False
    assert stamp_of(demo_page) == now
    assert (
        PageUpdateStamp.objects.move_forward(demo_page.pk, now + timedelta(microseconds=1)) is True
    )
    assert stamp_of(demo_page) == now + timedelta(microseconds=1)
    assert PageUpdateStamp.objects.filter(page=demo_page).count() == 1


def test_scheduling_a_page_does_not_stamp_it(demo_page):
    home = demo_page.get_parent()
    page = InternationalPage(
        title="Kommande", slug="kommande", introduction="Snart.", owner_email="a@example.org",
        body=[("heading", "Rubrik")], live=False,
    )  # fmt: skip
    home.add_child(instance=page)
    page.go_live_at = timezone.now() + timedelta(hours=1)
    revision = page.save_revision()
    revision.publish()  # Wagtail schedules it, and still sends `page_published`
    page.refresh_from_db()
    revision.refresh_from_db()
    assert revision.approved_go_live_at is not None
    assert not page.live
    assert not PageUpdateStamp.objects.filter(page=page).exists()


def test_the_stamp_is_not_part_of_the_page_revisions(demo_page):
    # Whatever writes a revision's content back onto the page (publishing
    # or reverting to it) leaves the stamp as it is.
    old_revision = demo_page.live_revision
    demo_page.title = "Ny titel"
    demo_page.save_revision().publish()
    later = timezone.now() + timedelta(days=1)
    PageUpdateStamp.objects.filter(page=demo_page).update(updated_at=later)

    old_revision.as_object().save()

    page = InternationalPage.objects.get(pk=demo_page.pk)
    assert page.title == "Utveckling genom internationella samarbeten"
    assert stamp_of(page) == later
    assert page.last_updated_at == later


# Contacts: published data only


def render(client):
    return client.get("/internationella-samarbeten/").content.decode()


def test_a_never_published_contact_is_not_shown(client, db):
    draft = make_contact(name="Sam Utkastsson", live=False)
    assert not draft.live and draft.has_unpublished_changes and draft.live_revision is None
    published = make_contact(name="Robin Publicerad")
    page = make_page(title="Kontakter", body=[contacts_block(draft, published)])
    # The published page does hold the draft, first in the block.
    [block] = page.live_revision.as_object().body
    assert [contact.pk for contact in block.value["contacts"]] == [draft.pk, published.pk]

    html = client.get(page.url).content.decode()
    assert "Robin Publicerad" in html
    assert "Sam Utkastsson" not in html
    assert draft.email not in html


def test_a_draft_change_shows_only_once_published(client, demo_page):
    contact = Contact.objects.get(title="Utvecklingsledare")
    contact.phone = "031-390 06 55"
    revision = contact.save_revision()
    # Saving a draft writes the revision, not the row the page reads.
    assert "031-390 06 55" not in render(client)
    assert "031-390 06 01" in render(client)
    revision.publish()
    html = render(client)
    assert "031-390 06 55" in html
    assert "031-390 06 01" not in html


def test_the_reference_index_knows_which_pages_show_a_contact(demo_page):
    from wagtail.models import ReferenceIndex

    contact = Contact.objects.get(title="Näringslivsutvecklare")
    pages = {ref.object_id for ref in ReferenceIndex.get_references_to(contact)}
    assert str(demo_page.pk) in pages
