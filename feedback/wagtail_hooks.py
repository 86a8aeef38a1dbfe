from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import OwnerMailbox
from .report import FeedbackReportView


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
    ]


class FeedbackReportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("feedback.view_feedback")


@hooks.register("register_reports_menu_item")
def register_report_menu_item():
    return FeedbackReportMenuItem(
        "Sidrespons", reverse("feedback_report"), name="sidrespons", icon_name="comment", order=900
    )
