"""The demo content: the seed page, its home page, its contacts, the
site's accessibility statement, and the English versions of the two pages.

`load_demo` creates what is absent and never touches what exists, so an
editor's changes survive every `make run`, and a second run changes nothing.
"""

from pathlib import Path
from urllib.parse import urlsplit

import yaml
from django.conf import settings
from django.db import transaction
from wagtail.models import Locale, Page, Site

from .models import AccessibilityStatementPage, Contact, HomePage, InternationalPage, Review

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "international_page.yaml"
ENGLISH_FILE = Path(__file__).resolve().parent / "demo" / "international_page.en.yaml"
STATEMENT_FILE = Path(__file__).resolve().parent / "demo" / "accessibility_statement.yaml"


def read_demo_data(path=DEMO_FILE):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


@transaction.atomic
def load_demo(data=None, statement=None, english=None, log=lambda message: None):
    data = data or read_demo_data()
    home = ensure_home_page(data["home"], log)
    contacts = {item["key"]: ensure_contact(item, log) for item in data["contacts"]}
    page = ensure_international_page(home, data["page"], contacts, log)
    ensure_accessibility_statement(home, statement or read_demo_data(STATEMENT_FILE), log)
    ensure_english_pages(home, page, english or read_demo_data(ENGLISH_FILE), contacts, log)
    return home


def ensure_home_page(spec, log):
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        # Wagtail's first migration leaves a "Welcome to Wagtail" page at the
        # top with the slug we want; replace it while it is still untouched.
        for child in root.get_children():
            if child.specific_class is Page and child.numchild == 0 and child.slug == spec["slug"]:
                child.delete()
        root.refresh_from_db()
        home = root.add_child(
            instance=HomePage(
                title=spec["title"], slug=spec["slug"], introduction=spec["introduction"]
            )
        )
        home.save_revision().publish()
        log(f"Skapade startsidan ”{home.title}”.")

    site = Site.objects.filter(is_default_site=True).first()
    # On a laptop the site and its admin are one server: the pages' full
    # URLs (in digests, the API, webhooks) then lead where it answers.
    served_at = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    address = {
        "hostname": served_at.hostname or "localhost",
        "port": served_at.port or (443 if served_at.scheme == "https" else 80),
    }
    if site is None:
        Site.objects.create(
            **address,
            site_name="Lidköpings kommun",
            root_page=home,
            is_default_site=True,
        )
        log("Skapade webbplatsen med startsidan som rot.")
    elif site.root_page_id != home.pk and site.root_page.specific_class is Page:
        # Wagtail's placeholder site (localhost:80, its welcome page).
        site.root_page = home
        site.hostname, site.port = address["hostname"], address["port"]
        site.save(update_fields=["root_page", "hostname", "port"])
        log("Pekade webbplatsen på startsidan.")
    return home


def ensure_contact(spec, log):
    contact = Contact.objects.filter(email=spec["email"]).first()
    if contact is None:
        contact = Contact(
            name=spec["name"],
            title=spec["title"],
            unit=spec["unit"],
            title_en=spec.get("title_en", ""),
            unit_en=spec.get("unit_en", ""),
            phone=spec["phone"],
            email=spec["email"],
        )
        contact.full_clean()
        contact.save()
        contact.save_revision().publish()
        first_review(contact)
        log(f"Skapade och publicerade kontaktpersonen {contact.name}.")
    return contact


def ensure_international_page(home, spec, contacts, log):
    existing = InternationalPage.objects.child_of(home).filter(slug=spec["slug"]).first()
    if existing is not None:
        return existing

    body_block = InternationalPage._meta.get_field("body").stream_block
    raw_body = [_resolve_contacts(item, contacts) for item in spec["body"]]
    page = InternationalPage(
        title=spec["title"],
        slug=spec["slug"],
        search_description=spec.get("search_description", ""),
        introduction=spec["introduction"],
        owner_email=spec["owner_email"],
        # clean() validates the data file as the editor's form would, and
        # fills in each block's defaults, so demo blocks look like edited ones.
        body=body_block.clean(body_block.to_python(raw_body)),
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    first_review(page)
    log(f"Skapade och publicerade sidan ”{page.title}” på {page.url_path}.")
    return page


def ensure_accessibility_statement(home, spec, log):
    """The site's statement, unless the home page has one already (whatever
    its slug: there is one per home page, and an editor may have renamed it)."""
    existing = AccessibilityStatementPage.objects.child_of(home).first()
    if existing is not None:
        return existing

    def stream(name):
        block = AccessibilityStatementPage._meta.get_field(name).stream_block
        return block.clean(block.to_python(spec.get(name) or []))

    page = AccessibilityStatementPage(
        title=spec["title"],
        slug=spec["slug"],
        owner_email=spec["owner_email"],
        organisation=spec["organisation"],
        service=spec["service"],
        compliance=spec["compliance"],
        shortcomings=stream("shortcomings"),
        disproportionate_burden=stream("disproportionate_burden"),
        outside_scope=stream("outside_scope"),
        evaluation_method=spec["evaluation_method"],
        evaluated_on=spec["evaluated_on"],
        statement_updated_on=spec["statement_updated_on"],
        feedback_text=spec["feedback_text"],
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    first_review(page)
    log(f"Skapade och publicerade tillgänglighetsredogörelsen på {page.url_path}.")
    return page


def ensure_english_pages(home, page, spec, contacts, log):
    """The English home page and page, as Wagtail translations of the
    Swedish ones (same translation key, locale "en"), with the English
    texts of `spec`; the contacts are the same snippets. Left alone when
    they exist."""
    english = Locale.objects.get_or_create(language_code="en")[0]
    english_home = home.get_translation_or_none(english)
    if english_home is None:
        english_home = home.copy_for_translation(english)
        english_home.title = spec["home"]["title"]
        english_home.introduction = spec["home"]["introduction"]
        english_home.save_revision().publish()
        log(f"Skapade den engelska startsidan på {english_home.url_path}.")
    english_home = english_home.specific

    if page.get_translation_or_none(english) is not None:
        return
    translation = page.copy_for_translation(english).specific
    body_block = InternationalPage._meta.get_field("body").stream_block
    raw_body = [_resolve_contacts(item, contacts) for item in spec["page"]["body"]]
    translation.title = spec["page"]["title"]
    translation.slug = spec["page"]["slug"]
    translation.search_description = spec["page"].get("search_description", "")
    translation.introduction = spec["page"]["introduction"]
    translation.body = body_block.clean(body_block.to_python(raw_body))
    translation.save()
    translation.save_revision().publish()
    log(f"Skapade och publicerade den engelska sidan ”{translation.title}”.")


def first_review(obj):
    """The demo's content is reviewed as it is published: not due for a
    review until its interval has passed."""
    field = "contact" if isinstance(obj, Contact) else "page"
    obj.refresh_from_db(fields=["first_published_at"])
    Review.objects.get_or_create(
        **{field: obj}, defaults={"last_reviewed_at": obj.first_published_at}
    )


def _resolve_contacts(item, contacts):
    if item["type"] != "contacts":
        return item
    value = dict(item["value"])
    value["contacts"] = [contacts[key].pk for key in value["contacts"]]
    return {"type": item["type"], "value": value}
