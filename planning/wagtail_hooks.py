from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import views


@hooks.register("register_admin_urls")
def register_urls():
    return [
        path("reports/schemalagt/", views.ReportView.as_view(), name="planning_report"),
        path(
            "reports/schemalagt/kalender/", views.CalendarView.as_view(), name="planning_calendar"
        ),
        path("reports/schemalagt/atgard/", views.action_view, name="planning_action"),
        path(
            "reports/schemalagt/sedd/<int:failure_id>/",
            views.acknowledge_view,
            name="planning_acknowledge",
        ),
        path(
            "reports/schemalagt/prenumeration/",
            views.FeedSettingsView.as_view(),
            name="planning_feed_settings",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_report_menu_item():
    return MenuItem(
        "Schemalagt",
        reverse("planning_report"),
        name="schemalagt",
        icon_name="calendar-alt",
        order=100,
    )


@hooks.register("construct_homepage_panels")
def add_dashboard_panel(request, panels):
    panels.append(views.DashboardPanel(request))
