"""Small content for tests, built in code: a test of the pipeline makes the
page and contacts it needs, so that editing the demo content
(intl_pages/demo/international_page.yaml) never breaks it.

    home = make_site_root()
    kim = make_contact(name="Kim Exempelsson")
    draft = make_contact(name="Sam Utkast", live=False)
    page = make_page(title="Vänorter", body=[twin_town(city="Kecskemét"),
                                            contacts_block(kim, draft)])

Everything is saved and published the way Wagtail's admin does it: through
a revision, so revisions and log entries exist and Wagtail's signals fire
(with them, the pipeline's receivers: a test that needs an empty queue
empties the broker after building). Bodies are StreamField raw data
(`{"type": ..., "value": ...}` items), validated by the page's own blocks
when the page is built, so a wrong field name fails at once.
"""

from django.conf import settings
from django.utils.text import slugify
from wagtail.models import Collection, Locale, Page, Site

from headless.models import APITokenGrant, default_expiry
from headless.scopes import SCOPES
from intl_pages.blocks import TwinTownBlock
from intl_pages.models import AccessibilityStatementPage, Contact, HomePage, InternationalPage

HOME_SLUG = "home"


def ensure_wagtail_tree():
    """What Wagtail's migrations create and pages build on: the default
    locale, the root page, the root collection. A transactional test ends
    by emptying every table, so the next one may start without them."""
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
    if not Collection.objects.exists():
        Collection.add_root(name="Root")


def make_site_root(title="Startsida", slug=HOME_SLUG):
    """The home page, published under Wagtail's root, and the default Site
    with it as its root page (served at /).

    Idempotent: the existing home page is returned as it is (there is one at
    most, `HomePage.max_count`), whoever made it, `load_demo` included.
    """
    ensure_wagtail_tree()
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        # Wagtail's first migration leaves a "Welcome to Wagtail" page with
        # the slug "home" (and a Site on it); it goes while untouched.
        for child in root.get_children():
            if child.specific_class is Page and child.numchild == 0 and child.slug == slug:
                child.delete()
        root.refresh_from_db()
        home = root.add_child(
            instance=HomePage(title=title, slug=slug, introduction="En startsida för tester.")
        )
        home.save_revision().publish()
        home.refresh_from_db()

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            site_name="Testwebbplats",
            root_page=home,
            is_default_site=True,
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save(update_fields=["root_page"])
    return home


def heading(text):
    """A heading item of a page's body."""
    return {"type": "heading", "value": text}


def paragraph(html):
    """A paragraph item of a page's body: rich text, such as "<p>Text.</p>"."""
    return {"type": "paragraph", "value": html}


TWIN_TOWN_DEFAULTS = {
    "city": "Exempelstad",
    "region": "",
    "partner": "",
    "country": "Ungern",
    "agreement": "Vänortsavtal",
    "areas": ["Kultur"],
    "funding": ["Kommunen"],
    "start_year": 2004,
    "end_year": None,
    "active": True,
    "latitude": None,
    "longitude": None,
}


def twin_town(**fields):
    """A twin town item of a page's body: a valid town, with `fields`
    (TwinTownBlock's names: city, region, partner, country, agreement,
    areas, funding, start_year, end_year, active, latitude, longitude)."""
    unknown = set(fields) - set(TwinTownBlock.base_blocks)
    if unknown:
        raise TypeError(
            f"twin_town() got field(s) that TwinTownBlock does not have: {sorted(unknown)}; "
            f"it has {list(TwinTownBlock.base_blocks)}"
        )
    return {"type": "twin_town", "value": {**TWIN_TOWN_DEFAULTS, **fields}}


def contacts_block(*contacts, heading="Kontakt"):
    """A contacts item of a page's body, showing `contacts` (Contact
    instances or their ids) in this order."""
    if not contacts:
        raise TypeError("contacts_block() needs at least one contact (the block's min_num)")
    ids = [contact if isinstance(contact, int) else contact.pk for contact in contacts]
    return {"type": "contacts", "value": {"heading": heading, "contacts": ids}}


def stream(items):
    """The value of a page's body made of raw `items` (`heading()`,
    `paragraph()`, `twin_town()`, `contacts_block()`), validated and with
    each block's defaults filled, as the editor's form would: for a test that
    gives a built page a new body (`page.body = stream([...])`)."""
    body_block = InternationalPage._meta.get_field("body").stream_block
    return body_block.clean(body_block.to_python(list(items)))


def make_page(
    title="Vänorter",
    slug=None,
    body=None,
    live=True,
    owner_email="sidansvarig@example.org",
    introduction="En sida för tester.",
    parent=None,
    **fields,
):
    """An InternationalPage under the home page (`make_site_root()`) or
    `parent`, saved with a revision and, when `live`, published by it.

    `body` is a list of raw items (`heading()`, `paragraph()`,
    `twin_town()`, `contacts_block()`); default: one heading, the title.
    `slug` defaults to the title's. Other `fields` (`go_live_at`,
    `expire_at`, `search_description`, ...) go to the page as they are:
    with a `go_live_at` in the future, publishing schedules the page, as
    Wagtail does. `live=False` leaves a draft that was never published.
    """
    parent = parent or make_site_root()
    page = InternationalPage(
        title=title,
        slug=slug or slugify(title),
        introduction=introduction,
        owner_email=owner_email,
        body=stream([heading(title)] if body is None else body),
        live=False,
        **fields,
    )
    parent.add_child(instance=page)
    revision = page.save_revision()  # add_child logged "wagtail.create"
    if live:
        revision.publish()
    page.refresh_from_db()
    return page


def make_statement(
    title="Tillgänglighetsredogörelse",
    slug="tillganglighetsredogorelse",
    owner_email="tillganglighet@example.org",
    shortcomings=(),
    **fields,
):
    """The site's accessibility statement under the home page, published;
    `shortcomings` raw items of its StreamField ({"type": "shortcoming",
    "value": {...}}). Other `fields` go to the page as they are."""
    home = make_site_root()
    block = AccessibilityStatementPage._meta.get_field("shortcomings").stream_block
    page = AccessibilityStatementPage(
        title=title,
        slug=slug,
        owner_email=owner_email,
        organisation=fields.pop("organisation", "Exempelkommunen"),
        service=fields.pop("service", "webbplatsen example.org"),
        shortcomings=block.clean(block.to_python(list(shortcomings))),
        evaluation_method=fields.pop("evaluation_method", "<p>Automatiska tester.</p>"),
        evaluated_on=fields.pop("evaluated_on", "2026-12-06"),
        statement_updated_on=fields.pop("statement_updated_on", "2026-12-06"),
        feedback_text=fields.pop("feedback_text", "<p>Skriv till oss.</p>"),
        live=False,
        **fields,
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def make_contact(
    name="Kim Exempelsson",
    live=True,
    title="Utvecklingsledare",
    unit="Samhälle",
    phone="0510-77 00 00",
    email=None,
):
    """A contact person, created with a first revision and, when `live`,
    published by it (log entries "wagtail.create" and "wagtail.publish").
    `live=False` leaves a draft that was never published: not live, with
    unpublished changes, no live revision; a page does not show it.
    `email` defaults to one made from the name, at example.org."""
    contact = Contact(
        name=name,
        title=title,
        unit=unit,
        phone=phone,
        email=email or f"{slugify(name)}@example.org",
        live=False,
    )
    contact.full_clean()
    contact.save()
    revision = contact.save_revision(log_action="wagtail.create")  # as the admin logs it
    if live:
        revision.publish()
    contact.refresh_from_db()
    return contact


def make_api_token(user, *scopes, days=None, name="test"):
    """The plaintext of a new API token for `user` with these scopes (all
    three when none are named), expiring in `days` (API_TOKEN_DEFAULT_DAYS by
    default; a negative number makes one that has expired), as an
    administrator makes it."""
    expires_at = None if days is None else default_expiry(days)
    return APITokenGrant.objects.create_token(
        user=user, name=name, scopes=list(scopes or SCOPES), expires_at=expires_at
    )[1]
