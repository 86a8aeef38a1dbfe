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
from django.http import HttpResponseRedirect, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from security import clients

from . import tokens
from .forms import AccessibilityReportForm, FeedbackForm, same_site_path
from .submission import (
    language_of,
    page_for_feedback,
    report_page,
    submit_feedback,
    submit_report,
)

logger = logging.getLogger(__name__)

FOREIGN_ORIGIN = gettext_noop("Svaret kan inte tas emot härifrån.")
TOO_LARGE = gettext_noop("Svaret är för stort för att tas emot.")
TOO_MANY = gettext_noop("Vi har fått många svar från din anslutning. Försök igen om en stund.")
MALFORMED = gettext_noop("Svaret gick inte att läsa. Ladda om sidan och försök igen.")
UNAVAILABLE = gettext_noop(
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
    # In the language of the page answered on, once it is known (the
    # constants above are Swedish, marked for the catalog).
    message = gettext(message)
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
            "message": gettext(UNAVAILABLE),
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
    # The feedback URLs have no language prefix: the messages, and the page
    # shown again with them, in the language of the page answered on.
    translation.activate(language_of(page))
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


# The report form: a page of its own, never cached (it is filled in from the
# page the visitor came from), posted without a script.


def host_name(request):
    """The host the visitor asked for (checked against ALLOWED_HOSTS), lower
    case, without a port: the one a report's location may name."""
    host = request.get_host().lower()
    if host.startswith("["):  # an IPv6 address has colons of its own
        return host[1 : host.index("]")]  # as urlsplit gives it: no brackets
    return host.partition(":")[0]


def _report_response(request, page, form, status=200, message="", thanked=False, back=""):
    return TemplateResponse(
        request,
        "feedback/report.html",
        {
            "statement": page,
            "form": form,
            "errors": form.error_summary() if form is not None and form.is_bound else [],
            "message": message,
            "thanked": thanked,
            "back": back,
            "action": request.path,
        },
        status=status,
    )


def _came_from(request):
    """The page the visitor came from, as a path on this site: `?sida=`, or
    the Referer; "" for anything else, or for this form itself."""
    host = host_name(request)
    for value in (request.GET.get("sida"), request.META.get("HTTP_REFERER")):
        path = same_site_path(value, host) if value else None
        if path and path != request.path:
            return path
    return ""


def _report_database_away(request):
    """The database does not answer: nothing was saved. The form again with
    what the visitor wrote, and one press sends it again."""
    logger.warning("Databasen svarar inte: rapporten om tillgänglighet togs inte emot.")
    request.user = AnonymousUser()
    if wants_json(request) or request.method != "POST":
        return refuse(
            request, 503, UNAVAILABLE, {"Retry-After": str(settings.DATABASE_RETRY_AFTER_SECONDS)}
        )
    response = _report_response(
        request, None, AccessibilityReportForm(request.POST), status=503, message=UNAVAILABLE
    )
    response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER_SECONDS)
    return response


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@sensitive_post_parameters("problem", "email")
def report(request, page_id):
    """ "Rapportera brist i tillgängligheten": the form (GET, filled in with
    the page the visitor came from), and its post, through the same action
    and checks as the feedback widget's. Without a script: a plain post, a
    redirect to the thanks."""
    try:
        if request.method == "POST":
            return _post_report(request, page_id)
        page = report_page(page_id)
        if request.GET.get("tack") == "1":
            back = same_site_path(request.GET.get("sida", ""), host_name(request)) or ""
            return _report_response(request, page, None, thanked=True, back=back)
        form = AccessibilityReportForm(
            initial={"location": _came_from(request), "token": tokens.form_token(page.pk)}
        )
        return _report_response(request, page, form)
    except (OperationalError, InterfaceError):
        return _report_database_away(request)


def _post_report(request, page_id):
    if body_length(request) > settings.FEEDBACK_MAX_BODY_BYTES:
        return refuse(request, 413, TOO_LARGE)
    try:
        request.POST  # noqa: B018  (parsed here, so that a broken body is a 400)
    except (MultiPartParserError, BadRequest, SuspiciousOperation, LookupError, UnicodeError):
        return refuse(request, 400, MALFORMED)
    if not origin_allowed(request):
        return refuse(request, 403, FOREIGN_ORIGIN)
    page = report_page(page_id)
    outcome = submit_report(
        page, request.POST, client=clients.rate_key(request), host=host_name(request)
    )
    if outcome.limited:
        return refuse(request, 429, TOO_MANY, {"Retry-After": str(outcome.retry_after)})
    if wants_json(request):
        if not outcome.ok:
            errors = {name: list(messages) for name, messages in outcome.form.errors.items()}
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        return JsonResponse({"ok": True}, status=201)
    if not outcome.ok:
        return _report_response(request, page, outcome.form, status=400)
    query = QueryDict(mutable=True)
    query["tack"] = "1"
    if outcome.answer.location:
        query["sida"] = outcome.answer.location
    return HttpResponseRedirect(f"{request.path}?{query.urlencode(safe='/')}", status=303)
