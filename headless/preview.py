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

wagtail-headless-preview 0.9.0 is not used: its tokens never expire, a forged
one raises an uncaught BadSignature, and it has no v3 endpoint.
"""

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from pydantic import TypeAdapter, ValidationError
from wagtail.admin.views.pages.preview import PreviewOnEditView

SALT = "headless.preview"
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
        token = issue_token(data)
        separator = "&" if "?" in base else "?"
        return HttpResponseRedirect(f"{base}{separator}{urlencode({'token': token})}")
