"""The English version: a Wagtail translation of the Swedish page under
/en/, with the same facts, the chrome and widget in English, hreflang both
ways, the same contacts and the same owner."""

import re

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from wagtail.models import Locale

from feedback.digests import digest_data, render
from feedback.models import Feedback
from intl_pages.models import Contact, HomePage, InternationalPage
from tests.feedback.conftest import answer_data

SWEDISH_URL = "/internationella-samarbeten/"
ENGLISH_URL = "/en/international-cooperation/"
COUNTRIES = {
    "Ungern": "Hungary",
    "Litauen": "Lithuania",
    "USA": "USA",
    "Kina": "China",
    "Zambia": "Zambia",
}


@pytest.fixture
def english_page(demo_page):
    return InternationalPage.objects.get(locale__language_code="en")


def soup_of(url, **headers):
    response = Client().get(url, **headers)
    assert response.status_code == 200, url
    return BeautifulSoup(response.content, "html.parser")


def blocks_of(page, block_type):
    return [block.value for block in page.body if block.block_type == block_type]


def text_of(element):
    return " ".join(element.get_text(" ").split())


def test_the_english_pages_are_translations_of_the_swedish_ones(demo_page, english_page):
    english = Locale.objects.get(language_code="en")
    assert Locale.get_default().language_code == "sv"
    assert english_page.translation_key == demo_page.translation_key
    assert english_page.locale == english
    assert english_page.live
    assert english_page.url == ENGLISH_URL
    assert english_page.slug == "international-cooperation"
    swedish_home = HomePage.objects.get(locale__language_code="sv")
    english_home = swedish_home.get_translation(english)
    assert english_home.live
    assert english_home.url == "/en/"
    assert english_page.get_parent().pk == english_home.pk


def test_the_english_page_has_the_same_facts(demo_page, english_page):
    swedish_towns = blocks_of(demo_page, "twin_town")
    english_towns = blocks_of(english_page, "twin_town")
    assert len(english_towns) == len(swedish_towns) == 5
    for sv, en in zip(swedish_towns, english_towns, strict=True):
        for name in ("city", "region", "partner", "agreement", "start_year", "end_year", "active"):
            assert en[name] == sv[name], name
        assert en["country"] == COUNTRIES[sv["country"]]
        assert len(en["areas"]) == len(sv["areas"])
        assert len(en["funding"]) == len(sv["funding"])

    [sv_deal] = blocks_of(demo_page, "partnership")
    [en_deal] = blocks_of(english_page, "partnership")
    for name in ("partner", "signed_year", "updated_year"):
        assert en_deal[name] == sv_deal[name]
    assert len(en_deal["covers"]) == len(sv_deal["covers"])
    assert "140" in en_deal["students_benefited"]
    for sv, en in zip(sv_deal["trainee_exchanges"], en_deal["trainee_exchanges"], strict=True):
        assert (en["count"], en["months"], en["origin"]) == (
            sv["count"],
            sv["months"],
            sv["origin"],
        )

    # Every number of the Swedish page (years, counts, figures) is on the
    # English one too, and the regional partners and towns by name.
    def rendered(url):
        return text_of(soup_of(url).find("article"))

    swedish_text, english_text = rendered(SWEDISH_URL), rendered(ENGLISH_URL)
    assert set(re.findall(r"\d+", swedish_text)) == set(re.findall(r"\d+", english_text))
    for name in ("Götene", "Skara", "Vara", "Kecskemét", "Utena", "Rockford", "Lusaka", "Xindu"):
        assert name in english_text

    # The same contact snippets, not copies.
    [sv_contacts] = blocks_of(demo_page, "contacts")
    [en_contacts] = blocks_of(english_page, "contacts")
    assert [c.pk for c in en_contacts["contacts"]] == [c.pk for c in sv_contacts["contacts"]]
    assert Contact.objects.count() == 2


def test_the_english_page_is_in_english(english_page):
    soup = soup_of(ENGLISH_URL, HTTP_ACCEPT_LANGUAGE="sv")
    assert soup.html["lang"] == "en"
    assert "Lidköping Municipality" in soup.title.string
    assert text_of(soup.select_one("a.skip-link")) == "Skip to content"
    assert "Lidköping Municipality" in text_of(soup.select_one("footer.site-footer"))
    widget = soup.select_one("section.feedback")
    assert text_of(widget.find(id="feedback-heading")) == (
        "Did the information on this page help you?"
    )
    assert [text_of(label) for label in widget.select("[data-step=helpful] label")] == [
        "Yes",
        "No",
    ]
    assert text_of(widget.select_one("button[type=submit]")) == "Send"
    assert soup.find("script", src="/en/jsi18n/")
    published = soup.select_one("footer.page-meta time")
    assert re.fullmatch(
        r"\d{1,2} (January|February|March|April|May|June|July|August|September|October|"
        r"November|December) \d{4}",
        text_of(published),
    )
    meta = text_of(soup.select_one("footer.page-meta"))
    assert "Published:" in meta and "Page owner:" in meta
    # The contacts' English texts, the same phone numbers.
    contacts = text_of(soup.select_one("section.contacts"))
    assert "Development manager" in contacts
    assert "031-390 06 01" in contacts
    assert "Utvecklingsledare" not in contacts


def test_the_swedish_page_stays_swedish(english_page):
    soup = soup_of(SWEDISH_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert soup.html["lang"] == "sv"
    assert text_of(soup.select_one("a.skip-link")) == "Hoppa till innehållet"
    assert soup.find("script", src="/jsi18n/")
    published = text_of(soup.select_one("footer.page-meta time"))
    assert re.fullmatch(r"\d{1,2} [a-zåäö]+ \d{4}", published)
    contacts = text_of(soup.select_one("section.contacts"))
    assert "Utvecklingsledare" in contacts
    assert "Development manager" not in contacts


def test_the_root_is_swedish_whatever_the_browser_asks(english_page):
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert b'<html lang="sv">' in response.content
    assert response["Content-Language"] == "sv"


@pytest.mark.parametrize(
    ("url", "other_url", "other_language", "label"),
    [
        (SWEDISH_URL, ENGLISH_URL, "en", "In English"),
        (ENGLISH_URL, SWEDISH_URL, "sv", "På svenska"),
    ],
)
def test_hreflang_both_ways_and_a_link_to_the_other_version(
    english_page, url, other_url, other_language, label
):
    soup = soup_of(url)
    alternates = {link["hreflang"]: link["href"] for link in soup.find_all("link", rel="alternate")}
    assert set(alternates) == {"sv", "en", "x-default"}
    assert alternates["sv"].endswith(SWEDISH_URL)
    assert alternates["en"].endswith(ENGLISH_URL)
    assert alternates["x-default"] == alternates["sv"]
    [link] = soup.select("header .language-links a")
    assert link["href"].endswith(other_url)
    assert link["lang"] == link["hreflang"] == other_language
    assert text_of(link) == label


def test_a_page_without_a_translation_has_no_alternates(demo_page):
    InternationalPage.objects.get(locale__language_code="en").unpublish()
    soup = soup_of(SWEDISH_URL)
    assert not soup.find_all("link", rel="alternate")
    assert not soup.select(".language-links")


def test_the_javascript_catalog_is_english_under_en_and_cacheable(db):
    english = Client().get("/en/jsi18n/")
    assert english.status_code == 200
    assert "javascript" in english["Content-Type"]
    assert "Thank you for your answer!" in english.content.decode()
    assert "public" in english["Cache-Control"]
    swedish = Client().get("/jsi18n/")
    assert "Thank you for your answer!" not in swedish.content.decode()


def test_an_answer_from_the_english_page_reaches_the_same_owner_marked_english(
    demo_page, english_page
):
    response = Client().post(
        f"/feedback/{english_page.pk}/", answer_data(english_page, comment="Very useful.")
    )
    assert response.status_code == 303
    assert response["Location"].startswith(ENGLISH_URL)
    answer = Feedback.objects.get()
    assert answer.language == "en"
    assert answer.owner_email == demo_page.owner_email == "naringsliv@lidkoping.se"
    _subject, text, html = render(digest_data(answer.owner_email, [answer]))
    assert f"== {english_page.title} (engelska) ==" in text
    assert "(engelska)" in html


def test_an_answer_from_the_swedish_page_is_marked_swedish(demo_page):
    Client().post(f"/feedback/{demo_page.pk}/", answer_data(demo_page))
    assert Feedback.objects.get().language == "sv"


def test_the_english_pages_errors_are_in_english(english_page):
    response = Client().post(f"/feedback/{english_page.pk}/", answer_data(english_page, helpful=""))
    assert response.status_code == 400
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.html["lang"] == "en"
    assert "Choose Yes or No." in text_of(soup.select_one(".error-summary"))
    json = Client().post(
        f"/feedback/{english_page.pk}/",
        answer_data(english_page, helpful=""),
        HTTP_ACCEPT="application/json",
    )
    assert json.json()["errors"]["helpful"] == ["Choose Yes or No."]


def test_the_translation_keeps_its_sources_owner(demo_page, english_page):
    english_page.owner_email = "someone.else@lidkoping.se"
    english_page.save()
    english_page.refresh_from_db()
    assert english_page.owner_email == "naringsliv@lidkoping.se"

    demo_page.owner_email = "international@lidkoping.se"
    demo_page.save()
    english_page.refresh_from_db()
    assert english_page.owner_email == "international@lidkoping.se"


def test_a_contacts_english_texts_fall_back_to_swedish(db):
    contact = Contact(name="A", title="Handläggare", unit="Kultur", title_en="Officer")
    assert (contact.title_in("en"), contact.unit_in("en")) == ("Officer", "Kultur")
    assert (contact.title_in("sv"), contact.unit_in("sv")) == ("Handläggare", "Kultur")


def test_the_editor_sees_when_the_swedish_page_changed_since_the_translation(
    admin_client, demo_page, english_page
):
    edit_url = reverse("wagtailadmin_pages:edit", args=(english_page.pk,))
    warning = "Den svenska sidan har ändrats sedan översättningen senast uppdaterades."
    assert warning not in admin_client.get(edit_url).content.decode()

    then = demo_page.latest_revision
    demo_page.introduction = "Lidköping arbetar aktivt med internationella frågor, nu mer."
    demo_page.save_revision()
    html = admin_client.get(edit_url).content.decode()
    assert warning in html
    compare = reverse(
        "wagtailadmin_pages:revisions_compare", args=(demo_page.pk, then.pk, "latest")
    )
    assert compare in html
    # The Swedish page's own edit view says nothing of the kind.
    swedish_edit = reverse("wagtailadmin_pages:edit", args=(demo_page.pk,))
    assert warning not in admin_client.get(swedish_edit).content.decode()

    english_page.introduction = "Lidköping works actively on international issues, now more."
    english_page.save_revision()
    assert warning not in admin_client.get(edit_url).content.decode()


def test_editors_and_moderators_may_translate(db):
    from django.contrib.auth.models import Group

    for name in ("Editors", "Moderators"):
        codenames = Group.objects.get(name=name).permissions.values_list("codename", flat=True)
        assert "submit_translation" in codenames


def test_the_preview_of_the_english_page_is_in_english(admin_client, english_page):
    from tests.intl_pages.admin_forms import edit_form_data

    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=(english_page.pk,))
    data = edit_form_data(admin_client, english_page, title="Twin towns, previewed")
    assert admin_client.post(preview_url, data).json()["is_valid"]
    shown = admin_client.get(preview_url).content.decode()
    assert "Twin towns, previewed" in shown
    assert '<html lang="en">' in shown
    assert "Skip to content" in shown
