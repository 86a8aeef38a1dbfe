from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import REGISTRAR_PERMISSION, OwnerMailbox
from .report import FeedbackReportView, RegistrarReportView, erase_contact_address_view


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
