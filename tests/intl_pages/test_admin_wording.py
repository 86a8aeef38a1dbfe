"""The admin's Swedish reads as Swedish: Django and Wagtail capitalise verbose
names where a sentence starts, so a model's name in the middle of a sentence
is in lower case ("Lägg till kontaktperson", "2 kontaktpersoner"), never
"Lägg till Kontaktperson"."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from intl_pages.models import Contact

# A lower-case word, then a model's name capitalised, within one element's text.
CAPITALISED_MID_SENTENCE = re.compile(
    r"\b[a-zåäö]+ +(Kontaktpersone?r?|Startsid(?:a|or)|Sid(?:a|or) om internationellt samarbete)\b"
)


@pytest.fixture
def admin_client(db):
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "lösenord")
    client = Client()
    client.force_login(user)
    return client


def visible_text(html):
    """The text of the page, one line per element's text, without scripts and
    styles. Inline elements (links, emphasis) stay within their sentence."""
    html = re.sub(r"<(script|style|template)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(a|b|strong|em|span)\b[^>]*>", "", html)
    text = re.sub(r"<[^>]+>", "\n", html)
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def make_contact(name):
    return Contact.objects.create(
        name=name, title="Handläggare", unit="Samhälle", phone="0510-77 00 00", email="a@b.se"
    )


def test_an_empty_contact_list_says_so_in_lower_case(admin_client):
    html = admin_client.get(reverse("wagtailsnippets_intl_pages_contact:list")).content.decode()
    assert "Det finns inga kontaktpersoner att visa. Vill du" in visible_text(html)
    assert "Lägg till kontaktperson" in html
    assert not CAPITALISED_MID_SENTENCE.search(visible_text(html))


def test_the_contact_list_counts_in_lower_case(admin_client):
    make_contact("Kim Exempelsson")
    make_contact("Alex Exempelsson")
    html = admin_client.get(reverse("wagtailsnippets_intl_pages_contact:list")).content.decode()
    assert "Kim Exempelsson" in html
    assert not CAPITALISED_MID_SENTENCE.search(visible_text(html))


def test_the_add_contact_form_is_in_swedish(admin_client):
    html = admin_client.get(reverse("wagtailsnippets_intl_pages_contact:add")).content.decode()
    text = visible_text(html)
    assert not CAPITALISED_MID_SENTENCE.search(text)
    # Wagtail 8's autosave and side panel, which its own catalogue lacks.
    for swedish in ("Sparat", "Automatisk sparning är pausad", "Sidopanelens bredd", "Skapas av"):
        assert swedish in text
    for english in ("Saved", "Autosave is paused", "Side panel width", "To be created by"):
        assert english not in text


def test_the_page_explorer_counts_in_swedish(admin_client):
    from intl_pages.demo import load_demo

    home = load_demo()
    html = admin_client.get(reverse("wagtailadmin_explore", args=[home.pk])).content.decode()
    assert re.search(r"1–\d+ av \d+ \w+", visible_text(html))
    assert not re.search(r" of \d+ ", visible_text(html))


def test_the_pattern_finds_a_capitalised_name_mid_sentence():
    # The checks above would pass over any page if the pattern found nothing.
    assert CAPITALISED_MID_SENTENCE.search("Lägg till Kontaktperson")
    assert CAPITALISED_MID_SENTENCE.search("Det finns inga Kontaktpersoner att visa.")
    assert not CAPITALISED_MID_SENTENCE.search("Lägg till kontaktperson")
    assert not CAPITALISED_MID_SENTENCE.search("Kontaktpersoner")
