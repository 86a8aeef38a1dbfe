"""The headers every response carries: a Content-Security-Policy and a
Permissions-Policy.

Two policies, chosen by path: `CONTENT_SECURITY_POLICY` for everything
visitors and front-ends see (the pages, the API and its docs, error pages),
`ADMIN_CONTENT_SECURITY_POLICY` under Wagtail's admin, which still runs
inline scripts (the settings say which features need what). The choice is
made here rather than by view decorators because a page served from the
cache never reaches its view: this middleware sits outside the page cache
and adds the header to every response, a hit or a miss, once. A view that
must differ sets the whole header itself (the API's docs page), which the
cache stores and replays, and which is then left alone here.

No nonce: a cached page is replayed whole to every visitor, so a nonce in it
would be everyone's; and Wagtail's admin cannot carry one (its form widgets
write bare inline scripts, rendered without the request).

`frame-ancestors` follows X-Frame-Options, which browsers ignore once the
policy names frame ancestors: `'none'`, but `'self'` where a view lets the
site frame it (Wagtail's preview view, `xframe_options_sameorigin`) and for
the page Wagtail's preview renders through the middleware (a request it
marks `is_dummy`), which the admin's preview panel frames.
"""

from csp.constants import HEADER as CSP
from csp.constants import SELF
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy, default_config
from django.conf import settings
from django.urls import NoReverseMatch, reverse

PERMISSIONS_POLICY = "Permissions-Policy"
FRAMED_BY_THE_SITE = {"frame-ancestors": [SELF]}
# What django-csp's decorators leave on a response.
VIEW_MARKS = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt")


def permissions_policy(features):
    """The header's value: each feature allowed to the origins listed, or to
    none (`feature=()`)."""
    return ", ".join(f"{name}=({' '.join(origins)})" for name, origins in features.items())


def framed_by_the_site(request, response):
    return (
        getattr(request, "is_dummy", False)
        or response.get("X-Frame-Options", "").upper() == "SAMEORIGIN"
    )


class SecurityHeadersMiddleware(CSPMiddleware):
    def __init__(self, get_response):
        super().__init__(get_response)
        self.permissions_policy = permissions_policy(settings.PERMISSIONS_POLICY)
        self.admin_directives = default_config(settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"])
        self._admin_prefix = None
        # Every response but one a view gave a policy of its own gets one of
        # four headers: built once here, as django-csp would build them on
        # each response (a tenth of a cache hit's time).
        self.prebuilt = (
            None
            if getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or settings.CONTENT_SECURITY_POLICY.get("EXCLUDE_URL_PREFIXES")
            else {
                (admin, framed): build_policy(
                    config=self.admin_directives if admin else None,
                    replace=FRAMED_BY_THE_SITE if framed else None,
                )
                for admin in (False, True)
                for framed in (False, True)
            }
        )

    def is_admin(self, request):
        if self._admin_prefix is None:
            try:
                self._admin_prefix = reverse("wagtailadmin_home")
            except NoReverseMatch:  # a URLconf without the admin
                self._admin_prefix = ""
        return bool(self._admin_prefix) and request.path_info.startswith(self._admin_prefix)

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if report_only or parts.config is not None:
            return parts  # a view's own policy (django-csp's decorators)
        if self.is_admin(request):
            parts.config = self.admin_directives
        if framed_by_the_site(request, response):
            parts.replace = {**(parts.replace or {}), **FRAMED_BY_THE_SITE}
        return parts

    def is_plain(self, request, response):
        """Nothing of django-csp's to do but to add the header: no policy,
        exemption or nonce of the view's, no debug page."""
        return (
            self.prebuilt is not None
            and getattr(request, "_csp_nonce", None) is None
            and not any(getattr(response, mark, None) for mark in VIEW_MARKS)
            and not (settings.DEBUG and response.status_code in (404, 500))
        )

    def process_response(self, request, response):
        if self.is_plain(request, response):
            if CSP not in response:
                key = (self.is_admin(request), framed_by_the_site(request, response))
                response[CSP] = self.prebuilt[key]
            # As django-csp does: a nonce asked for from now on is an error.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        else:
            response = super().process_response(request, response)
        if PERMISSIONS_POLICY not in response:
            response[PERMISSIONS_POLICY] = self.permissions_policy
        return response
