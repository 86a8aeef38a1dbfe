"""The accessibility statement (tillgänglighetsredogörelse): a page type with
DIGG's parts as fields, in the API; linked from every page's footer with the
report form; loaded by the demo, honestly and once."""

import re
from datetime import date

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intl_pages.demo import load_demo
from intl_pages.models import (
    DIGG_REPORT_URL,
    AccessibilityStatementPage,
    Compliance,
    HomePage,
)

STATEMENT_URL = "/tillganglighetsredogorelse/"


@pytest.fixture
def statement(demo_page):
    return AccessibilityStatementPage.objects.get()


def soup_of(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    return BeautifulSoup(response.content, "html.parser")


def text_of(node):
    return re.sub(r"\s+", " ", node.get_text(" ", strip=True))


def test_the_demo_loads_a_statement_true_to_the_tests(statement):
    assert statement.live and statement.url == STATEMENT_URL
    assert statement.compliance == Compliance.PARTIAL
    assert statement.evaluated_on == date(2026, 12, 6)
    assert statement.supervision_url == DIGG_REPORT_URL == "https://www.digg.se/tdosanmalan"
    method = statement.evaluation_method
    # What tests/e2e measures, as it measures it.
    for fact in ("axe-core 4.12", "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "Chromium"):
        assert fact in method
    assert "manuell" in method  # and what it does not
    [shortcoming] = statement.shortcomings
    assert shortcoming.value["criterion"].startswith("1.3.1 ")
    assert shortcoming.value["fix_by"] is None


def test_load_demo_twice_changes_nothing_and_keeps_an_editors_statement(statement):
    statement.title = "Tillgänglighet på lidkoping.se"
    statement.compliance = Compliance.NONE
    statement.save_revision().publish()
    revisions = statement.revisions.count()

    load_demo()

    assert AccessibilityStatementPage.objects.count() == 1
    kept = AccessibilityStatementPage.objects.get()
    assert (kept.title, kept.compliance) == ("Tillgänglighet på lidkoping.se", Compliance.NONE)
    assert kept.revisions.count() == revisions


def test_one_statement_per_home_page_and_only_there(statement):
    home = HomePage.objects.get(locale__language_code="sv")
    assert not AccessibilityStatementPage.can_create_at(home)
    assert AccessibilityStatementPage.allowed_parent_page_models() == [HomePage]
    assert "intl_pages.AccessibilityStatementPage" in HomePage.subpage_types


def test_the_statement_shows_every_part_digg_asks_for(client, statement):
    soup = soup_of(client, STATEMENT_URL)
    text = text_of(soup.find("main"))
    assert "Lidköpings kommun står bakom webbplatsen lidkoping.se" in text
    assert "delvis förenlig med lagen om tillgänglighet till digital offentlig service" in text
    shortcoming = soup.select_one("article.shortcoming")
    assert "Dokument som länkas från sidorna" in text_of(shortcoming.h3)
    assert "1.3.1 Information och relationer" in text_of(shortcoming)
    assert "Inget datum är bestämt än." in text_of(shortcoming)
    times = {t["datetime"] for t in soup.find("main").find_all("time")}
    assert "2026-12-06" in times
    assert "Webbplatsen granskades senast den 6 december 2026" in text
    assert "Redogörelsen uppdaterades senast den 6 december 2026" in text
    assert soup.find("a", href=DIGG_REPORT_URL)
    form_link = reverse("feedback:report", args=[statement.pk])
    assert soup.find("main").find("a", href=form_link)
    assert soup.find("a", href="mailto:webbredaktionen@lidkoping.se")


def test_the_statement_in_the_api(client, statement):
    data = client.get(f"/api/v3/pages/{statement.pk}/").json()
    assert data["meta"]["type"] == "intl_pages.AccessibilityStatementPage"
    assert data["organisation"] == "Lidköpings kommun"
    assert data["compliance"] == "delvis"
    assert data["evaluated_on"] == "2026-12-06"
    assert data["statement_updated_on"] == "2026-12-06"
    assert data["supervision_url"] == DIGG_REPORT_URL
    assert data["owner_email"] == "webbredaktionen@lidkoping.se"
    [item] = data["shortcomings"]
    assert item["type"] == "shortcoming"
    assert item["value"]["criterion"] == "1.3.1 Information och relationer"
    assert item["value"]["fix_by"] is None and item["value"]["workaround"]
    assert data["disproportionate_burden"] == [] and data["outside_scope"] == []
    assert "<li>" in data["evaluation_method"]


def test_the_api_document_types_the_statement(client, statement):
    schemas = client.get("/api/v3/openapi.json").json()["components"]["schemas"]
    shortcoming = schemas["Shortcoming"]["properties"]
    assert set(shortcoming) == {"content", "criterion", "reason", "workaround", "fix_by"}


@pytest.mark.parametrize("url", ["/", "/internationella-samarbeten/", STATEMENT_URL])
def test_every_page_links_to_the_statement_and_the_report_form(client, statement, url):
    footer = soup_of(client, url).find("footer", class_="site-footer")
    link = footer.find("a", href=STATEMENT_URL)
    assert text_of(link) == "Tillgänglighetsredogörelse"
    # Swedish on a Swedish page: no lang of its own.
    assert not link.has_attr("lang")
    report = footer.find("a", string="Rapportera brist i tillgängligheten")
    assert report["href"] == reverse("feedback:report", args=[statement.pk]) + f"?sida={url}"


def test_a_page_that_does_not_exist_links_to_the_statement_too(client, statement):
    footer = soup_of(client, "/finns-inte/", status=404).find("footer", class_="site-footer")
    assert footer.find("a", href=STATEMENT_URL)


def test_in_another_language_the_link_says_it_is_swedish(client, statement, settings):
    settings.LANGUAGES = [("sv", "Svenska"), ("en", "English")]
    footer = soup_of(client, "/").find("footer", class_="site-footer")
    from django.utils import translation

    with translation.override("en"):
        from django.template import Context, Template
        from django.test import RequestFactory

        request = RequestFactory().get("/")
        html = Template("{% load statement_tags %}{% accessibility_links %}").render(
            Context({"request": request})
        )
    link = BeautifulSoup(html, "html.parser").find("a", href=STATEMENT_URL)
    assert (link["lang"], link["hreflang"]) == ("sv", "sv")
    assert not footer.find("a", href=STATEMENT_URL).has_attr("lang")


def test_without_a_live_statement_the_footer_has_no_links(client, statement):
    statement.unpublish()
    footer = soup_of(client, "/").find("footer", class_="site-footer")
    assert not footer.find("a")


def test_the_footer_costs_at_most_one_query(client, statement):
    url = "/internationella-samarbeten/"
    client.get(url)
    with CaptureQueriesContext(connection) as linked:
        html = client.get(url).content.decode()
    assert STATEMENT_URL in html
    statement.unpublish()
    client.get(url)
    with CaptureQueriesContext(connection) as unlinked:
        html = client.get(url).content.decode()
    assert STATEMENT_URL not in html
    assert len(linked) <= len(unlinked) + 1


def test_an_editor_edits_the_statement_in_the_admin(client, statement):
    admin = get_user_model().objects.create_superuser("admin", "a@example.org", "lösenord-123")
    client.force_login(admin)
    html = client.get(reverse("wagtailadmin_pages:edit", args=[statement.pk])).content.decode()
    # The form in DIGG's order.
    order = [
        "organisation",
        "service",
        "compliance",
        "shortcomings",
        "disproportionate_burden",
        "outside_scope",
        "evaluation_method",
        "evaluated_on",
        "statement_updated_on",
        "feedback_text",
        "supervision_url",
        "owner_email",
    ]
    positions = [html.index(f'data-contentpath="{name}"') for name in order]
    assert positions == sorted(positions)
    assert "Numret och namnet" in html  # a block's help text (JSON, escaped)


def test_a_criterion_must_start_with_its_number():
    from wagtail.blocks import StreamBlockValidationError

    block = AccessibilityStatementPage._meta.get_field("shortcomings").stream_block
    raw = [
        {
            "type": "shortcoming",
            "value": {
                "content": "Video",
                "criterion": "Textning",
                "reason": "Saknas.",
                "workaround": "",
                "fix_by": None,
            },
        }
    ]
    with pytest.raises(StreamBlockValidationError):
        block.clean(block.to_python(raw))
    raw[0]["value"]["criterion"] = "1.2.2 Undertexter (förinspelat)"
    assert block.clean(block.to_python(raw))
