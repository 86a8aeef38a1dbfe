"""The admin report "Sidrespons": every counted answer, filtered by page,
period, Ja/Nej, rating and spam, with a summary per page, and Wagtail's own
CSV and XLSX export. Only users with the feedback permission see any of it.
"""

import logging
import secrets
from urllib.parse import urlencode

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies import ModelPermissionPolicy

from . import retention
from .chart import render_chart
from .models import RATING_MAX, RATING_MIN, REGISTRAR_PERMISSION, Feedback, FeedbackKind

logger = logging.getLogger(__name__)

# A cell that a spreadsheet would read as a formula (CWE-1236): Wagtail's
# XLSX export neutralises it, its CSV export does not.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def helpful_label(answer):
    if answer.kind == FeedbackKind.ACCESSIBILITY_REPORT:
        return "Rapport om tillgänglighet"
    return "Ja" if answer.helpful else "Nej"


def answer_columns(comment_field, comment_label):
    """The report's table; the registrar's differs by the comment it shows."""
    return [
        DateColumn("created_at", label="Inkom"),
        Column("page_title", label="Sida"),
        Column("helpful", label="Hjälpte", accessor=helpful_label),
        Column("rating", label="Betyg"),
        Column(comment_field, label=comment_label),
        Column("contact_email", label="E-post"),
    ]


class FeedbackFilterSet(WagtailFilterSet):
    page_title = django_filters.CharFilter(label="Sida", lookup_expr="icontains")
    # The edit view's link to one page's answers, whatever their titles.
    page = django_filters.NumberFilter(field_name="page_id", label="Sidans id")
    created_at = django_filters.DateFromToRangeFilter(label="Inkom", widget=DateRangePickerWidget)
    helpful = django_filters.BooleanFilter(label="Hjälpte informationen")
    rating = django_filters.ChoiceFilter(
        label="Betyg", choices=[(n, str(n)) for n in range(RATING_MIN, RATING_MAX + 1)]
    )
    is_spam = django_filters.BooleanFilter(label="Skräp")
    kind = django_filters.ChoiceFilter(label="Typ", choices=FeedbackKind.choices)

    class Meta:
        model = Feedback
        fields = []


def with_yes_share(row):
    share = round(100 * row["yes"] / row["answers"]) if row["answers"] else None
    return {**row, "yes_share": share}


def summary_of_page(page_id):
    """One page's figures, whatever titles its answers were given under."""
    return with_yes_share(Feedback.objects.filter(page_id=page_id).figures())


def page_summary(queryset):
    """Per page: the count, the share of Ja and the mean rating, by the one
    rule for a counted answer (`FeedbackQuerySet.figures`)."""
    rows = queryset.figures("page_id", "page_title", "page_url").order_by("page_title")
    return [with_yes_share(row) for row in rows]


class FeedbackReportView(ReportView):
    page_title = "Sidrespons"
    header_icon = "comment"
    model = Feedback
    permission_policy = ModelPermissionPolicy(Feedback)
    # Without it, PermissionCheckedMixin checks nothing.
    permission_required = "view"
    filterset_class = FeedbackFilterSet
    index_url_name = "feedback_report"
    # The results-only URL: without it a filtered report crashes.
    index_results_url_name = "feedback_report_results"
    results_template_name = "feedback/report_results.html"
    export_filename = "sidrespons"
    columns = answer_columns("comment", "Kommentar")
    list_export = [
        "created_at",
        "page_title",
        "page_url",
        "helpful",
        "rating",
        "comment",
        "contact_email",
        "is_spam",
        "kind",
        "location",
    ]
    export_headings = {
        "created_at": "Inkom",
        "page_title": "Sida",
        "page_url": "Adress",
        "helpful": "Hjälpte",
        "rating": "Betyg",
        "comment": "Kommentar",
        "contact_email": "E-post",
        "is_spam": "Skräp",
        "kind": "Typ",
        "location": "Rapporterad sida",
    }

    # Every visitor's string, neutralised in the CSV too.
    visitor_fields = ("page_title", "page_url", "comment", "contact_email", "location")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.custom_field_preprocess = {
            **self.custom_field_preprocess,
            **{field: {self.FORMAT_CSV: neutralise_formula} for field in self.visitor_fields},
        }

    def get_queryset(self):
        # The comment as received is the registrar's: never in the report.
        return Feedback.objects.defer("comment_as_received").order_by("-created_at")

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["summary"] = page_summary(self.object_list)
        context["chart"] = render_chart(self.object_list)
        return context


# The registrar's lookups by a visitor's address, in the registrar's session:
# {token: address}, the last few. The address is posted, never put in a URL
# (access logs, browser history, the export links): the URL names a token.
LOOKUPS_SESSION_KEY = "feedback_registrar_lookups"
LOOKUPS_KEPT = 10
CONTACT_EMAIL_MAX_LENGTH = 254


def remember_lookup(request, address):
    """Keep `address` in the session; returns the token that names it."""
    lookups = dict(request.session.get(LOOKUPS_SESSION_KEY, {}))
    token = secrets.token_urlsafe(12)
    lookups[token] = address
    request.session[LOOKUPS_SESSION_KEY] = dict(list(lookups.items())[-LOOKUPS_KEPT:])
    return token


def looked_up_address(request, token):
    """The address a token of this session names, or None."""
    return request.session.get(LOOKUPS_SESSION_KEY, {}).get(token) if token else None


class RegistrarFilterSet(FeedbackFilterSet):
    lookup = django_filters.CharFilter(
        label="Sökning på besökarens e-postadress",
        method="filter_lookup",
        widget=forms.HiddenInput,
    )

    def filter_lookup(self, queryset, name, value):
        address = looked_up_address(self.request, value)
        if address is None:  # another session's, or forgotten
            return queryset.none()
        return queryset.filter(contact_email__iexact=address)


class RegistrarReportView(FeedbackReportView):
    """The registrar's view: the answers as received, for a request for
    allmän handling before gallring, or everything stored under one contact
    address (a visitor's GDPR request, erased from here)."""

    page_title = "Sidrespons som den kom in (registrator)"
    header_icon = "folder-open-inverse"
    permission_required = None
    filterset_class = RegistrarFilterSet
    index_url_name = "feedback_registrar"
    index_results_url_name = "feedback_registrar_results"
    results_template_name = "feedback/registrar_results.html"
    export_filename = "sidrespons-som-den-kom-in"
    columns = answer_columns("comment_as_received", "Kommentar som den kom in")
    list_export = [
        "created_at",
        "page_title",
        "page_url",
        "helpful",
        "rating",
        "comment_as_received",
        "comment",
        "contact_email",
        "is_spam",
        "kind",
        "location",
        "personal_data_erased_at",
    ]
    export_headings = {
        **FeedbackReportView.export_headings,
        "comment_as_received": "Kommentar som den kom in",
        "comment": "Kommentar utan personuppgifter",
        "personal_data_erased_at": "Personuppgifter gallrade",
    }

    visitor_fields = (*FeedbackReportView.visitor_fields, "comment_as_received")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(REGISTRAR_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return Feedback.objects.order_by("-created_at")

    def post(self, request, *args, **kwargs):
        """The lookup by a visitor's address (the form above the results):
        kept in the session, the results shown under a token."""
        address = (request.POST.get("contact_email") or "").strip()
        if not address or len(address) > CONTACT_EMAIL_MAX_LENGTH:
            messages.error(request, "Ange besökarens e-postadress för att söka.")
            return redirect(reverse(self.index_url_name))
        token = remember_lookup(request, address)
        return redirect(f"{reverse(self.index_url_name)}?{urlencode({'lookup': token})}")

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["erase_address"] = looked_up_address(self.request, self.request.GET.get("lookup"))
        context["lookup_url"] = reverse(self.index_url_name)
        context["erase_url"] = reverse("feedback_registrar_erase")
        return context


@require_http_methods(["POST"])
def erase_contact_address_view(request):
    """Erase everything stored under one contact address, on the registrar's
    confirmation (a POST from the registrar's view)."""
    if not request.user.has_perm(REGISTRAR_PERMISSION):
        raise PermissionDenied
    address = (request.POST.get("contact_email") or "").strip()
    if not address or request.POST.get("confirm") != "yes":
        messages.error(request, "Ange adressen och bekräfta att uppgifterna ska raderas.")
        return redirect(reverse("feedback_registrar"))
    erased = retention.erase_contact_address(address)
    # The count only: the address itself is not repeated in the log.
    logger.info("Registratorn raderade personuppgifter i %s svar på begäran.", erased)
    messages.success(request, f"Personuppgifterna i {erased} svar är raderade.")
    return redirect(reverse("feedback_registrar"))
