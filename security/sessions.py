"""How long a signed-in editor's session lasts: `SESSION_IDLE_SECONDS` after
their last request, and never more than `SESSION_MAX_SECONDS` after they
signed in.

The idle time is Django's own expiry (`SESSION_COOKIE_AGE`), in the cookie
and in the session store, moved forward by every request of a signed-in
user, as `SESSION_SAVE_EVERY_REQUEST` would, but for Wagtail's background
requests: an open editor sends the editing-session ping every ten seconds
whether anyone is at the screen or not, so the ping does not count. Typing
does: the editor autosaves. Visitors are never touched: a request without a
signed-in user saves nothing and sets no cookie, so cached pages stay
cookie-free.
"""

import time

from django.conf import settings
from django.contrib.auth import logout

# Requests the admin's pages send by themselves, with no one at the screen.
BACKGROUND_NAMESPACES = frozenset({"wagtailadmin_editing_sessions"})
SIGNED_IN_AT = "security:signed_in_at"


def is_background(request):
    match = getattr(request, "resolver_match", None)
    return match is not None and bool(BACKGROUND_NAMESPACES & set(match.namespaces))


def signed_in(request):
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class SessionLifetimeMiddleware:
    """After AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        was_signed_in = signed_in(request)
        if was_signed_in:
            started = request.session.get(SIGNED_IN_AT)
            if started is not None and time.time() - started > settings.SESSION_MAX_SECONDS:
                logout(request)
                was_signed_in = False
        response = self.get_response(request)
        if signed_in(request) and not is_background(request):
            if was_signed_in:
                # A session from before this rule: its clock starts now.
                request.session.setdefault(SIGNED_IN_AT, int(time.time()))
            else:  # signed in by this request
                request.session[SIGNED_IN_AT] = int(time.time())
            request.session.modified = True  # saved, with a new expiry
        return response
