from urllib.parse import urlencode

from django.urls import path, reverse
from django.utils.formats import number_format
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import REGISTRAR_PERMISSION, OwnerMailbox
from .report import (
    FeedbackReportView,
    RegistrarReportView,
    erase_contact_address_view,
    summary_of_page,
)


class OwnerMailboxViewSet(SnippetViewSet):
    """How often each owner address gets its digest (daily unless set here)."""

    model = OwnerMailbox
    icon = "mail"
    menu_label = "Mottagare av sidrespons"
    menu_order = 300
    add_to_settings_menu = True
    list_display = ["email", "frequency"]
    list_filter = ["frequency"]
    search_fields = ["email"]
    copy_view_enabled = False


register_snippet(OwnerMailboxViewSet)


@hooks.register("register_admin_urls")
def register_report_urls():
    return [
        path("reports/sidrespons/", FeedbackReportView.as_view(), name="feedback_report"),
        path(
            "reports/sidrespons/results/",
            FeedbackReportView.as_view(results_only=True),
            name="feedback_report_results",
        ),
        path(
            "reports/sidrespons/registrator/",
            RegistrarReportView.as_view(),
            name="feedback_registrar",
        ),
        path(
            "reports/sidrespons/registrator/results/",
            RegistrarReportView.as_view(results_only=True),
            name="feedback_registrar_results",
        ),
        path(
            "reports/sidrespons/registrator/radera/",
            erase_contact_address_view,
            name="feedback_registrar_erase",
        ),
    ]


class FeedbackReportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("feedback.view_feedback")


@hooks.register("register_reports_menu_item")
def register_report_menu_item():
    return FeedbackReportMenuItem(
        "Sidrespons", reverse("feedback_report"), name="sidrespons", icon_name="comment", order=900
    )


class RegistrarMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(REGISTRAR_PERMISSION)


@hooks.register("register_reports_menu_item")
def register_registrar_menu_item():
    return RegistrarMenuItem(
        "Sidrespons som den kom in",
        reverse("feedback_registrar"),
        name="sidrespons-registrator",
        icon_name="folder-open-inverse",
        order=901,
    )


def summary_label(row):
    """ "Sidrespons: 12 svar, 75 % Ja, medelbetyg 4,2" for the edit view."""
    parts = [f"{row['answers']} svar", f"{row['yes_share']} % Ja"]
    if row["mean_rating"] is not None:
        parts.append(f"medelbetyg {number_format(row['mean_rating'], 1)}")
    return "Sidrespons: " + ", ".join(parts)


@hooks.register("register_page_header_buttons")
def feedback_summary_on_edit_view(page, user, next_url, view_name):
    """A short summary of the page's feedback in the edit view's header,
    linking to the report for the page. Through a hook rather than a panel in
    the page type's form, so that every page type has it and no page type
    imports this app."""
    if view_name != "edit" or not user.has_perm("feedback.view_feedback"):
        return []
    figures = summary_of_page(page.pk)
    if not figures["answers"]:
        return []
    report = reverse("feedback_report") + "?" + urlencode({"page": page.pk})
    return [Button(summary_label(figures), report, icon_name="comment", priority=5)]
