from django.conf import settings
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.widgets import Button
from wagtail.models import Site
from wagtail.users.views import api_tokens

from .preview import FrontEndPreviewView, front_end_preview_url, release_preview_view
from .token_admin import ScopedAPITokenViewSet


@hooks.register("register_admin_urls")
def register_preview_url():
    return [
        path(
            "headless/preview/<int:page_id>/",
            FrontEndPreviewView.as_view(),
            name="headless_preview",
        ),
        path(
            "headless/preview/utgava/<int:release_id>/<int:page_id>/",
            release_preview_view,
            name="headless_release_preview",
        ),
    ]


@hooks.register("register_page_header_buttons")
def preview_in_front_end(page, user, next_url, view_name):
    """On the edit view, where the page's site has a front-end: the preview
    panel's state, opened in the front-end."""
    if view_name != "edit" or not front_end_preview_url(page.get_site()):
        return []
    if not page.permissions_for_user(user).can_edit():
        return []
    url = reverse("headless_preview", args=(page.pk,))
    return [
        Button(
            "Förhandsgranska i front-end",
            url,
            icon_name="mobile-alt",
            priority=6,
            attrs={"target": "_blank", "rel": "noopener"},
        )
    ]


@hooks.register("release_preview_urls")
def release_in_front_end(release, pages):
    """In a release's view, for each page whose site has a front-end: the
    page as the release will make it, opened there. The sites are read
    together, not once a page."""
    if not settings.HEADLESS_PREVIEW_URLS:
        return {}
    parts = {page.pk: page.get_url_parts() for page in pages}
    sites = Site.objects.in_bulk({part[0] for part in parts.values() if part})
    return {
        page_id: reverse("headless_release_preview", args=(release.pk, page_id))
        for page_id, part in parts.items()
        if part and front_end_preview_url(sites.get(part[0]))
    }


# Wagtail 8.0.1 builds its API-token screens from this name when the admin's
# URLs are first built (wagtail/users/wagtail_hooks.py imports it there), and,
# unlike its users' and groups' viewsets, has no setting to name another
# class. Ours, a subclass with the grant's fields, takes the name, so that the
# screens keep Wagtail's URLs, menu item and permissions, once.
api_tokens.APITokenViewSet = ScopedAPITokenViewSet
