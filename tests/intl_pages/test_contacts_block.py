"""One rule for which contacts a page shows: the rendered block and its API
representation both list the published contacts only, in the editor's
order, and the representation carries their data, never a bare id."""

import pytest
from bs4 import BeautifulSoup

from intl_pages.blocks import ContactsBlock
from intl_pages.models import Contact


def contact(name, publish=True):
    person = Contact.objects.create(
        name=name,
        title="Handläggare",
        unit="Samhälle",
        phone="0510-77 00 00",
        email=f"{name.split()[0].lower()}@example.org",
        live=False,
    )
    revision = person.save_revision()
    if publish:
        revision.publish()
    person.refresh_from_db()
    return person


@pytest.fixture
def people(db):
    return {
        "published": contact("Kim Publicerad"),
        "draft": contact("Dana Utkast", publish=False),
        "later": contact("Alex Publicerad"),
    }


def block_value(block, *contacts):
    raw = {"heading": "Kontakt", "contacts": [person.pk for person in contacts]}
    return block.to_python(raw)


def test_a_never_published_contact_is_neither_rendered_nor_represented(people):
    block = ContactsBlock()
    assert not people["draft"].live and people["draft"].has_unpublished_changes
    value = block_value(block, people["later"], people["draft"], people["published"])

    representation = block.get_api_representation(value)
    names = [item["name"] for item in representation["contacts"]]
    rendered = BeautifulSoup(block.render(value), "html.parser")

    assert names == ["Alex Publicerad", "Kim Publicerad"]
    assert [h3.get_text() for h3 in rendered.select("h3")] == names
    assert "Dana Utkast" not in str(representation) and "Dana Utkast" not in str(rendered)


def test_the_representation_holds_the_published_data_not_ids(people):
    block = ContactsBlock()
    kim = people["published"]
    # A draft change waits in a revision: the published data is what is served.
    kim.phone = "0510-99 99 99"
    kim.save_revision()

    representation = block.get_api_representation(block_value(block, kim))

    assert representation == {
        "heading": "Kontakt",
        "contacts": [
            {
                "name": "Kim Publicerad",
                "title": "Handläggare",
                "unit": "Samhälle",
                "phone": "0510-77 00 00",
                "email": "kim@example.org",
            }
        ],
    }


def test_an_unpublished_contact_leaves_both(people):
    block = ContactsBlock()
    people["published"].unpublish()
    value = block_value(block, Contact.objects.get(pk=people["published"].pk))

    assert block.get_api_representation(value)["contacts"] == []
    assert "Kim Publicerad" not in block.render(value)
