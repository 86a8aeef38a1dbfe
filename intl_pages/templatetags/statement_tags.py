"""`{% accessibility_links %}`: the footer's links to the site's
accessibility statement and to its report form, on every page."""

from django import template
from django.db import DatabaseError
from django.db.models import Subquery
from django.utils import translation
from wagtail.models import Page, Site

from ..models import AccessibilityStatementPage

register = template.Library()

# Found once per request, however many times the footer asks.
REQUEST_ATTRIBUTE = "_accessibility_statement"


def statement_for(request):
    """The live accessibility statement of the request's site, or None: one
    query (the site itself Wagtail has found already for the page, and keeps
    on the request)."""
    if hasattr(request, REQUEST_ATTRIBUTE):
        return getattr(request, REQUEST_ATTRIBUTE)
    try:
        statement = _find(request)
    except DatabaseError:
        # A page that says the database is away renders without the links
        # rather than failing.
        statement = None
    setattr(request, REQUEST_ATTRIBUTE, statement)
    return statement


def _find(request):
    site = Site.find_for_request(request)
    statement = None
    if site is not None:
        # The site's root page's path as a subquery: the root page itself
        # need not be loaded.
        root_path = Page.objects.filter(pk=site.root_page_id).values("path")[:1]
        statement = (
            AccessibilityStatementPage.objects.live()
            .select_related("locale")
            .filter(path__startswith=Subquery(root_path))
            .order_by("path")
            .first()
        )
    return statement


@register.inclusion_tag("intl_pages/accessibility_links.html", takes_context=True)
def accessibility_links(context):
    request = context.get("request")
    statement = statement_for(request) if request is not None else None
    if statement is None:
        return {"statement": None}
    try:
        url = statement.get_url(request)
    except DatabaseError:
        return {"statement": None}
    language = statement.locale.language_code
    active = (translation.get_language() or "").split("-")[0]
    return {
        "statement": statement,
        "statement_url": url,
        # Marked when the visitor reads the page in another language, so that
        # a screen reader speaks the link's Swedish right.
        "statement_language": language if language != active else "",
        # The page the visitor is on, for the report form to fill in.
        "from_path": request.path,
    }
