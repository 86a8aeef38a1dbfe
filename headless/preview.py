"""Preview for headless front-ends: what Wagtail's own preview panel shows
(the editor's unsaved form state, which Wagtail 8 keeps as a FormState row),
as JSON in the API's own page schema, handed to a front-end through a signed
token that expires.

The editor opens "Förhandsgranska i front-end" on the edit view; this view
builds the page from the preview panel's state (or takes the latest
revision when the panel has not been opened), renders it through the page schema, keeps
the JSON in the cache for HEADLESS_PREVIEW_SECONDS, and sends the browser to
the site's front-end with a token. The front-end exchanges the token at
`GET /api/v3/preview/?token=…`. A token that is tampered with, expired, or
whose state is gone is a 404 problem, never an error page.

A release's preview (releases/preview.py) goes the same way with a token of
its own kind, which names the release and the page: the page is rendered
when the front-end asks, as the release stands then (its pinned revisions,
its contacts), until the token expires.

wagtail-headless-preview 0.9.0 is not used: its tokens never expire, a forged
one raises an uncaught BadSignature, and it has no v3 endpoint.
"""

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from pydantic import TypeAdapter, ValidationError
from wagtail.admin.views.pages.preview import PreviewOnEditView

from releases import preview as release_preview
from releases.models import OPEN_STATES, Release

SALT = "headless.preview"
RELEASE_SALT = "headless.preview.release"
CACHE_PREFIX = "headless:preview:"


def front_end_preview_url(site):
    """The site's front-end preview address (HEADLESS_PREVIEW_URLS, by the
    site's hostname, else its "*" entry), or None."""
    urls = settings.HEADLESS_PREVIEW_URLS
    hostname = site.hostname if site else None
    return urls.get(hostname) or urls.get("*")


def page_json(page, request):
    """The page as the API's page detail serves it."""
    from wagtail.api.v3.routers.pages import PageDetailSchema

    adapter = TypeAdapter(PageDetailSchema)
    return adapter.dump_python(
        adapter.validate_python(page, from_attributes=True, context={"request": request}),
        mode="json",
    )


def issue_token(data):
    key = uuid.uuid4().hex
    cache.set(CACHE_PREFIX + key, data, timeout=settings.HEADLESS_PREVIEW_SECONDS)
    return signing.TimestampSigner(salt=SALT).sign(key)


def redeem_token(token):
    """The preview's JSON, or None for a token that is tampered with, expired
    or whose state is gone."""
    try:
        key = signing.TimestampSigner(salt=SALT).unsign(
            token or "", max_age=settings.HEADLESS_PREVIEW_SECONDS
        )
    except signing.BadSignature:  # SignatureExpired included
        return None
    return cache.get(CACHE_PREFIX + key)


def issue_release_token(release_id, page_id):
    """A token for the page `page_id` as the release `release_id` will make it."""
    return signing.dumps({"release": release_id, "page": page_id}, salt=RELEASE_SALT)


def release_page_json(token, request):
    """The page a release token names, as the release stands now, in the
    page detail's schema; None for a token that is tampered with or
    expired, a release that is done with, or a page it no longer changes."""
    try:
        named = signing.loads(
            token or "", salt=RELEASE_SALT, max_age=settings.HEADLESS_PREVIEW_SECONDS
        )
    except signing.BadSignature:  # SignatureExpired included
        return None
    release = Release.objects.filter(pk=named["release"], state__in=OPEN_STATES).first()
    if release is None:
        return None
    entry = release_preview.page_of(release, named["page"])
    if entry is None:
        return None
    with release_preview.as_released(release):
        return page_json(entry.as_released(), request)


def _redirect_with_token(base, token):
    separator = "&" if "?" in base else "?"
    return HttpResponseRedirect(f"{base}{separator}{urlencode({'token': token})}")


def release_preview_view(request, release_id, page_id):
    """GET, from a release's view: the page as the release will make it,
    opened in the site's front-end with a release token."""
    release = get_object_or_404(Release, pk=release_id, state__in=OPEN_STATES)
    entry = release_preview.page_of(release, page_id)
    if entry is None:
        raise Http404("Sidan ingår inte i utgåvans förhandsgranskning.")
    base = front_end_preview_url(entry.page.get_site())  # the live row's site
    if not base:
        raise PermissionDenied("Ingen front-end är inställd för förhandsgranskning.")
    return _redirect_with_token(base, issue_release_token(release.pk, page_id))


class FrontEndPreviewView(PreviewOnEditView):
    """GET: the preview panel's state (as Wagtail's own preview renders it),
    sent to the front-end as a token."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        form_state = self._get_form_state()
        if form_state is not None:
            form = self.get_form(self._get_form_data(form_state))
            if not self.validate_form(form):
                return self.error_response()
            form.save(commit=False)
        # Without the panel's state: the latest revision, as `get_object` made it.
        page = self.object
        base = front_end_preview_url(page.get_site())
        if not base:
            raise PermissionDenied("Ingen front-end är inställd för förhandsgranskning.")
        try:
            data = page_json(page, request)
        except ValidationError:
            # The panel validates with required fields deferred: a block half
            # filled in cannot take the schema's shape yet. Wagtail's own page
            # says so, as for any preview that cannot be shown.
            return self.error_response()
        return _redirect_with_token(base, issue_token(data))
