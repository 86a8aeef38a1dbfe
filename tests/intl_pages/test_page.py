"""The page as visitors read it: server-rendered, Swedish, every fact shown."""

import re
import uuid
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intl_pages.models import Contact, PageUpdateStamp

from .test_demo import FACTS

URL = "/internationella-samarbeten/"


def get_page(client):
    response = client.get(URL)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def text_of(node):
    return re.sub(r"\s+", " ", node.get_text(" ", strip=True))


def test_page_is_swedish_and_semantic(client, demo_page):
    soup = get_page(client)
    assert soup.html["lang"] == "sv"
    assert soup.find("main")
    [h1] = soup.find_all("h1")
    assert text_of(h1) == FACTS["page"]["title"]
    headings = [text_of(h) for h in soup.find_all("h2")]
    for section in FACTS["page"]["sections"]:
        assert section in headings
    assert soup.find("a", class_="skip-link")["href"] == "#innehall"


def test_every_twin_town_with_its_facts(client, demo_page):
    soup = get_page(client)
    cards = soup.select("ul.twin-towns > li > article.twin-town")
    assert len(cards) == len(FACTS["twin_towns"])
    for card, town in zip(cards, FACTS["twin_towns"], strict=True):
        text = text_of(card)
        assert town["city"] in text_of(card.find("h3"))
        assert town["country"] in text_of(card.find("h3"))
        assert town["agreement"] in text
        for area in town["areas"]:
            assert area in text
        for funder in town["funding"]:
            assert funder in text
        if "end_year" in town:
            assert f"{town['start_year']}–{town['end_year']}" in text
        else:
            assert str(town["start_year"]) in text
        if not town["areas"]:
            assert "Inget aktivt utbyte" in text
        assert ("Inte aktivt" in text) is (not town["active"])
    assert "Lusaka City Council" in text_of(cards[4])


def test_partnership_figures(client, demo_page):
    soup = get_page(client)
    box = text_of(soup.find(class_="partnership"))
    for party in FACTS["partnership"]["covers"]:
        assert party in box
    assert "2006" in box and "2014" in box
    assert "Över 140" in box
    assert "4 traineer, 3–8 månader" in box
    assert "1 trainee, 9 månader" in box
    assert FACTS["partnership"]["vision"] in box


def test_contacts_have_tel_and_mailto_links(client, demo_page):
    soup = get_page(client)
    contacts = soup.select(".contact")
    assert len(contacts) == 2
    for node, contact in zip(contacts, Contact.objects.order_by("pk"), strict=True):
        assert node.find("a", href=f"tel:{contact.phone_uri}")
        assert node.find("a", href=f"mailto:{contact.email}")
        assert contact.title in text_of(node)
    assert Contact.objects.get(phone="031-390 06 01").phone_uri == "+46313900601"


def test_footer_stamps_are_machine_readable(client, demo_page):
    stamp = datetime(2026, 11, 28, 9, 30, 15, tzinfo=UTC)
    PageUpdateStamp.objects.update_or_create(page=demo_page, defaults={"updated_at": stamp})
    soup = get_page(client)
    meta = soup.find("footer", class_="page-meta")
    labels = [text_of(dt) for dt in meta.find_all("dt")]
    assert labels == ["Publicerad:", "Senast uppdaterad:", "Senast granskad:", "Sidansvarig:"]
    published, updated, reviewed = meta.find_all("time")
    # The demo page was reviewed as it was published.
    assert datetime.fromisoformat(reviewed["datetime"]) == demo_page.first_published_at
    # Stockholm time, full ISO 8601 for machines, a Swedish date for people.
    assert updated["datetime"] == "2026-11-28T10:30:15+01:00"
    assert text_of(updated) == "28 november 2026"
    assert datetime.fromisoformat(published["datetime"]) == demo_page.first_published_at
    assert meta.find("a", href="mailto:naringsliv@lidkoping.se")


def test_feedback_question_is_in_place(client, demo_page):
    soup = get_page(client)
    feedback = soup.find(id="feedback")
    assert text_of(feedback.find("h2")) == FACTS["feedback_widget"]["question"]


def test_no_external_assets(client, demo_page):
    html = client.get(URL).content.decode()
    # Alternate language versions are named by full URL (hreflang asks for
    # it), on this site: they are links, not assets.
    html = re.sub(r'<link rel="alternate" hreflang="[^"]+" href="[^"]+">', "", html)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    # The search finds the page's own stylesheet, so it would find another's.
    assert any(url.endswith(".css") and url.startswith("/") for url in urls), urls
    for url in urls:
        assert not url.startswith(("http://", "https://", "//")), url


def test_html_in_content_is_escaped(client, demo_page):
    contact = Contact.objects.get(title="Utvecklingsledare")
    contact.name = '<script>alert("x")</script>'
    contact.save_revision().publish()
    html = client.get(URL).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html


def test_home_page_links_to_the_page(client, demo_page):
    response = client.get("/")
    assert response.status_code == 200
    assert f'href="{URL}"' in response.content.decode()


def test_unknown_page_is_a_swedish_404(client, demo_page):
    response = client.get("/finns-inte/")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.content.decode()


def add_contacts(page, count):
    contacts = []
    for i in range(count):
        contact = Contact.objects.create(
            name=f"Person {i}", title="Handläggare", unit="Samhälle",
            phone=f"031-390 06 {10 + i}", email=f"person{i}@example.org",
        )  # fmt: skip
        contacts.append(contact)
    body = list(page.body.raw_data)
    for item in body:
        if item["type"] == "contacts":
            item["value"]["contacts"] = [
                {"type": "item", "value": c.pk, "id": str(uuid.uuid4())}
                for c in Contact.objects.order_by("pk")
            ]
    page.body = body
    page.save_revision().publish()


@pytest.mark.django_db
def test_query_count_does_not_grow_with_contacts(client, demo_page):
    """N+1 guard: the page costs the same number of queries with 2 or 12 contacts."""
    client.get(URL)  # warm Wagtail's site and content-type caches
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    add_contacts(demo_page, 10)
    client.get(URL)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL)
    assert response.content.decode().count('class="contact"') == 12
    assert len(large) == len(small)
