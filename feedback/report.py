"""The admin report "Sidrespons": every counted answer, filtered by page,
period, Ja/Nej, rating and spam, with a summary per page, and Wagtail's own
CSV and XLSX export. Only users with the feedback permission see any of it.
"""

import django_filters
from django.db.models import Avg, Count, Q
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies import ModelPermissionPolicy

from .models import RATING_MAX, RATING_MIN, Feedback

# A cell that a spreadsheet would read as a formula (CWE-1236): Wagtail's
# XLSX export neutralises it, its CSV export does not.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class FeedbackFilterSet(WagtailFilterSet):
    page_title = django_filters.CharFilter(label="Sida", lookup_expr="icontains")
    created_at = django_filters.DateFromToRangeFilter(label="Inkom", widget=DateRangePickerWidget)
    helpful = django_filters.BooleanFilter(label="Hjälpte informationen")
    rating = django_filters.ChoiceFilter(
        label="Betyg", choices=[(n, str(n)) for n in range(RATING_MIN, RATING_MAX + 1)]
    )
    is_spam = django_filters.BooleanFilter(label="Skräp")

    class Meta:
        model = Feedback
        fields = []


def page_summary(queryset):
    """Per page: the count, the share of Ja and the mean rating."""
    rows = (
        queryset.order_by()
        .values("page_id", "page_title", "page_url")
        .annotate(
            answers=Count("pk", filter=Q(follow_up_of=None)),
            yes=Count("pk", filter=Q(helpful=True, follow_up_of=None)),
            mean_rating=Avg("rating"),
        )
        .order_by("page_title")
    )
    return [
        {**row, "yes_share": round(100 * row["yes"] / row["answers"]) if row["answers"] else None}
        for row in rows
    ]


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
    columns = [
        DateColumn("created_at", label="Inkom"),
        Column("page_title", label="Sida"),
        Column("helpful_display", label="Hjälpte", accessor="helpful_display"),
        Column("rating", label="Betyg"),
        Column("comment", label="Kommentar"),
        Column("contact_email", label="E-post"),
    ]
    list_export = [
        "created_at",
        "page_title",
        "page_url",
        "helpful",
        "rating",
        "comment",
        "contact_email",
        "is_spam",
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
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Every visitor's string, in the CSV too.
        self.custom_field_preprocess = {
            **self.custom_field_preprocess,
            **{
                field: {self.FORMAT_CSV: neutralise_formula}
                for field in ("page_title", "page_url", "comment", "contact_email")
            },
        }

    def get_queryset(self):
        # The comment as received is the registrar's: never in the report.
        return Feedback.objects.defer("comment_as_received").order_by("-created_at")

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["summary"] = page_summary(self.object_list.filter(is_spam=False))
        return context

    def decorate_paginated_queryset(self, object_list):
        for answer in object_list:
            answer.helpful_display = "Ja" if answer.helpful else "Nej"
        return object_list
