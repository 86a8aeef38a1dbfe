"""The widget's endpoints: the form post and a fresh token.

Cached pages carry no per-visitor CSRF cookie: instead of Django's CSRF
middleware, a post must come from the site itself or an allowed front-end
origin (the same Origin check, read the same way), and carries the signed
token the bot checks read.
"""

import functools
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from security import clients

from . import tokens
from .forms import FeedbackForm
from .submission import page_for_feedback, submit_feedback

logger = logging.getLogger(__name__)

FOREIGN_ORIGIN = "Svaret kan inte tas emot härifrån."
TOO_LARGE = "Svaret är för stort för att tas emot."
TOO_MANY = "Vi har fått många svar från din anslutning. Försök igen om en stund."
MALFORMED = "Svaret gick inte att läsa. Ladda om sidan och försök igen."
UNAVAILABLE = (
    "Vi kan inte ta emot svar just nu på grund av ett tekniskt fel. Det du skrev finns "
    "kvar: försök igen om en stund."
)


def body_length(request):
    """The declared length of the body; a header that is not a number is
    taken for a body too large to read."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return settings.FEEDBACK_MAX_BODY_BYTES + 1


def origin_allowed(request):
    """As Django's CSRF origin check: the Origin header (or, without one, the
    Referer) names this request's own scheme and host, or an allowed
    front-end origin. A post with neither header is accepted."""
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        referer = request.META.get("HTTP_REFERER")
        if not referer:
            return True
        try:
            parts = urlsplit(referer)
        except ValueError:  # not a URL at all
            return False
        origin = f"{parts.scheme}://{parts.netloc}"
    own = f"{request.scheme}://{request.get_host()}"
    return origin == own or origin in settings.FEEDBACK_ALLOWED_ORIGINS


def wants_json(request):
    return "application/json" in request.META.get("HTTP_ACCEPT", "")


def refuse(request, status, message, headers=None):
    if wants_json(request):
        response = JsonResponse({"ok": False, "message": message}, status=status)
    else:
        response = TemplateResponse(
            request, "feedback/refused.html", {"message": message}, status=status
        )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def unavailable(request, page_id):
    """The database does not answer: nothing was saved. A 503 that asks to
    come back, and without the script a page whose one button sends the
    same answer again (the widget keeps it on the page itself)."""
    retry = {"Retry-After": str(settings.DATABASE_RETRY_AFTER_SECONDS)}
    if wants_json(request) or request.method != "POST":
        return refuse(request, 503, UNAVAILABLE, retry)
    # The page is a visitor's: whoever is logged in, nothing here may ask
    # the database (the user bar would, for a session).
    request.user = AnonymousUser()
    form = FeedbackForm(request.POST)
    sent = [(name, request.POST.get(name, "")) for name in form.fields]
    response = TemplateResponse(
        request,
        "feedback/unavailable.html",
        {
            "message": UNAVAILABLE,
            "action": request.path,
            "sent": [(name, value) for name, value in sent if value],
            "form": form,
        },
        status=503,
    )
    response["Retry-After"] = retry["Retry-After"]
    return response


def database_away_is_503(view):
    @functools.wraps(view)
    def wrapper(request, page_id):
        try:
            return view(request, page_id)
        except (OperationalError, InterfaceError):
            logger.warning("Databasen svarar inte: svaret för sidan %s togs inte emot.", page_id)
            return unavailable(request, page_id)

    return wrapper


@csrf_exempt
@require_POST
@never_cache
@sensitive_post_parameters("comment", "email")
@database_away_is_503
def post_feedback(request, page_id):
    if body_length(request) > settings.FEEDBACK_MAX_BODY_BYTES:
        return refuse(request, 413, TOO_LARGE)
    try:
        request.POST  # noqa: B018  (parsed here, so that a broken body is a 400)
    except (MultiPartParserError, BadRequest, SuspiciousOperation, LookupError, UnicodeError):
        # A broken multipart body, an unknown or unusable charset, too many
        # fields.
        return refuse(request, 400, MALFORMED)
    if not origin_allowed(request):
        return refuse(request, 403, FOREIGN_ORIGIN)
    page = page_for_feedback(page_id)
    outcome = submit_feedback(page, request.POST, client=clients.rate_key(request))
    if outcome.limited:
        return refuse(request, 429, TOO_MANY, {"Retry-After": str(outcome.retry_after)})
    if wants_json(request):
        if not outcome.ok:
            errors = {name: list(messages) for name, messages in outcome.form.errors.items()}
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        return JsonResponse({"ok": True, "answer": outcome.reference}, status=201)
    if not outcome.ok:
        # The page again, with the error summary and every field as sent.
        response = page.serve(request)
        response.context_data["feedback_form"] = outcome.form
        response.status_code = 400
        return response
    return HttpResponseRedirect(f"{page.url}?tack=1#feedback", status=303)


@require_GET
@never_cache
@database_away_is_503
def fresh_token(request, page_id):
    """A token for a page the visitor is on: the widget asks when the visitor
    first interacts, since a cached page's own token may be old."""
    page = page_for_feedback(page_id)
    return JsonResponse({"token": tokens.form_token(page.pk)})
