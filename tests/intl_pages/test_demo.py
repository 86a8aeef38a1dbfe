"""`load_demo`: every fact of the seed, exactly; idempotent; never overwrites."""

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from wagtail.models import Page, PageLogEntry, Revision, Site

from intl_pages.models import Contact, HomePage, InternationalPage

FACTS = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "data" / "seed_facts.yaml").read_text("utf-8")
)


def blocks_of(page, block_type):
    return [block.value for block in page.body if block.block_type == block_type]


def test_page_facts(demo_page):
    facts = FACTS["page"]
    assert demo_page.title == facts["title"]
    assert demo_page.slug == facts["slug"]
    assert demo_page.owner_email == facts["owner_email"]
    assert demo_page.live
    assert demo_page.url == "/internationella-samarbeten/"
    headings = blocks_of(demo_page, "heading")
    assert headings == facts["sections"]
    for town in facts["regional_partners"]:
        assert town in demo_page.introduction
    [ways] = blocks_of(demo_page, "bullet_list")
    assert list(ways["items"]) == facts["ways_of_working"]
    body_text = " ".join(str(block.value) for block in demo_page.body)
    assert facts["vision"] in body_text


def test_twin_towns_match_the_seed_exactly(demo_page):
    towns = blocks_of(demo_page, "twin_town")
    assert len(towns) == len(FACTS["twin_towns"])
    for town, expected in zip(towns, FACTS["twin_towns"], strict=True):
        assert town["city"] == expected["city"]
        assert town["region"] == expected.get("region", "")
        assert town["partner"] == expected.get("partner", "")
        assert town["country"] == expected["country"]
        assert town["agreement"] == expected["agreement"]
        assert list(town["areas"]) == expected["areas"]
        assert list(town["funding"]) == expected["funding"]
        assert town["start_year"] == expected["start_year"]
        assert town["end_year"] == expected.get("end_year")
        assert town["active"] is expected["active"]


def test_partnership_matches_the_seed(demo_page):
    [partnership] = blocks_of(demo_page, "partnership")
    facts = FACTS["partnership"]
    assert partnership["partner"] == facts["partner"]
    assert partnership["kind"] == facts["kind"]
    assert partnership["signed_year"] == facts["signed"]
    assert partnership["updated_year"] == facts["updated"]
    assert list(partnership["parties_at_signing"]) == facts["parties_at_signing"]
    assert list(partnership["covers"]) == facts["covers"]
    assert partnership["vision"] == facts["vision"]
    figures = facts["figures"]
    assert partnership["students_benefited"] == figures["students_benefited"]
    from_lidkoping, from_rockford = partnership["trainee_exchanges"]
    for exchange, expected, origin in (
        (from_lidkoping, figures["trainees_from_lidkoping"], "Lidköping"),
        (from_rockford, figures["trainees_from_rockford"], "Rockford"),
    ):
        assert exchange["origin"] == origin
        assert exchange["count"] == expected["count"]
        assert exchange["months"] == str(expected["months"])
        assert exchange["host"] == expected["where"]


def test_contacts_are_fictitious_with_the_seed_roles(demo_page):
    [contacts_block] = blocks_of(demo_page, "contacts")
    contacts = list(contacts_block["contacts"])
    assert [(c.title, c.unit) for c in contacts] == [
        (c["title"], c["unit"]) for c in FACTS["contacts"]
    ]
    for contact in contacts:
        assert contact.live
        assert contact.email.endswith("@example.org")
    # The real people's details never enter the repository.
    demo_file = Path("intl_pages/demo/international_page.yaml").read_text("utf-8")
    for real in ("Malin", "Korjonen", "0510776567", "0510776754", "@lidkoping.se\n    "):
        assert real not in demo_file


def test_home_page_is_the_site_root(demo_page):
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert demo_page.get_parent().specific_class is HomePage
    # Wagtail's "Welcome" placeholder page is gone.
    # (The English home page is the root's translation, beside it.)
    assert not (
        Page.objects.filter(depth=2)
        .exclude(translation_key=site.root_page.translation_key)
        .exists()
    )


@pytest.mark.django_db
def test_the_site_is_where_the_admin_says_it_is_served(settings):
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8011"
    call_command("load_demo", stdout=io.StringIO())
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("127.0.0.1", 8011)
    page = InternationalPage.objects.get(locale__language_code="sv")
    assert page.full_url == f"http://127.0.0.1:8011{page.url}"


def state():
    return {
        "pages": list(Page.objects.order_by("pk").values_list("pk", "title", "live")),
        "revisions": Revision.objects.count(),
        "logs": PageLogEntry.objects.count(),
        "contacts": list(Contact.objects.order_by("pk").values()),
        "body": [list(p.body.raw_data) for p in InternationalPage.objects.order_by("pk")],
    }


@pytest.mark.django_db
def test_running_twice_changes_nothing():
    call_command("load_demo", stdout=io.StringIO())
    before = state()
    call_command("load_demo", stdout=io.StringIO())
    assert state() == before


def test_never_overwrites_an_editors_changes(demo_page):
    demo_page.title = "Ändrad av redaktören"
    demo_page.body = [("heading", "Bara en rubrik")]
    demo_page.save_revision().publish()
    contact = Contact.objects.get(title="Utvecklingsledare")
    contact.phone = "031-390 06 99"
    contact.save_revision().publish()

    call_command("load_demo", stdout=io.StringIO())

    demo_page.refresh_from_db()
    assert demo_page.title == "Ändrad av redaktören"
    assert [b.value for b in demo_page.body] == ["Bara en rubrik"]
    assert Contact.objects.get(pk=contact.pk).phone == "031-390 06 99"
    assert Contact.objects.count() == 2
    assert InternationalPage.objects.filter(locale__language_code="sv").count() == 1
