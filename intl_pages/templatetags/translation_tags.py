"""The page's other language versions: `<link rel="alternate" hreflang>` in
the head and a visible link to the other version."""

from django import template
from django.conf import settings
from django.db import DatabaseError
from wagtail.models import Page

register = template.Library()

# The visible link, in the language it leads to.
OTHER_VERSION_LABELS = {"sv": "På svenska", "en": "In English"}


def live_versions(page, request, full=True):
    """[(language code, URL)] of the page and its live translations, in the
    site's language order: one query. Full URLs for hreflang (which asks for
    them), relative ones where the site allows for the visible link."""
    if page is None or not getattr(page, "pk", None) or not isinstance(page, Page):
        return []
    try:
        versions = list(
            Page.objects.live()
            .public()
            .filter(translation_key=page.translation_key)
            .select_related("locale")
            .only("id", "url_path", "locale__language_code", "translation_key")
        )
        found = {}
        for version in versions:
            url = version.get_full_url(request) if full else version.get_url(request)
            if url:
                found[version.locale.language_code] = url
    except DatabaseError:
        return []
    order = [code for code, _name in settings.LANGUAGES]
    return sorted(found.items(), key=lambda item: order.index(item[0]) if item[0] in order else 99)


@register.inclusion_tag("intl_pages/language_alternates.html", takes_context=True)
def language_alternates(context, page):
    request = context.get("request")
    versions = live_versions(page, request) if len(settings.LANGUAGES) > 1 else []
    if len(versions) < 2:
        return {"versions": []}
    default = dict(versions).get(settings.LANGUAGE_CODE)
    return {"versions": versions, "default_url": default}


@register.inclusion_tag("intl_pages/other_language_link.html", takes_context=True)
def other_language_link(context, page):
    request = context.get("request")
    current = getattr(getattr(page, "locale", None), "language_code", None)
    others = [
        {"language": code, "url": url, "label": OTHER_VERSION_LABELS.get(code, code)}
        for code, url in live_versions(page, request, full=False)
        if code != current
    ]
    return {"others": others}
