from django.urls import path, reverse
from django.utils.http import urlencode
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets.button import Button
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import reviews, views
from .models import Contact
from .translations import compare_url, source_changes


class ContactViewSet(SnippetViewSet):
    model = Contact
    icon = "user"
    menu_label = "Kontaktpersoner"
    menu_order = 200
    add_to_admin_menu = True
    list_display = ["name", "title", "unit", "email"]
    list_filter = ["unit", "live"]
    copy_view_enabled = False


register_snippet(ContactViewSet)


@hooks.register("before_edit_page")
def tell_of_source_changes(request, page):
    """On the edit view of a translation: the Swedish page has changed since
    the translation was last updated, with a link to what changed."""
    if request.method != "GET":
        return None
    changed = source_changes(page)
    if changed is None:
        return None
    source, then = changed
    messages.warning(
        request,
        "Den svenska sidan har ändrats sedan översättningen senast uppdaterades.",
        buttons=[
            messages.button(compare_url(source, then), "Se vad som har ändrats"),
        ],
    )
    return None


@hooks.register("register_admin_urls")
def register_review_urls():
    return [
        path("granska/<str:kind>/<int:pk>/", views.ReviewView.as_view(), name="intl_pages_review"),
        path(
            "reports/att-granska/",
            views.ReviewsReportView.as_view(),
            name="intl_pages_reviews_report",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_reviews_report_menu_item():
    return MenuItem(
        "Att granska",
        reverse("intl_pages_reviews_report"),
        name="att-granska",
        icon_name="tick",
        order=110,
    )


@hooks.register("register_log_actions")
def register_review_log_action(actions):
    actions.register_action(reviews.LOG_ACTION, "Granskad", "Markerad som granskad")


def _review_button(obj, user, next_url, priority):
    if not getattr(obj, "live", False) or not reviews.can_review(user, obj):
        return
    url = reverse("intl_pages_review", args=[reviews.kind_of(obj), obj.pk])
    if next_url:
        url += "?" + urlencode({"next": next_url})
    yield Button("Granskad…", url, icon_name="tick", priority=priority)


@hooks.register("register_page_header_buttons")
def page_header_review_button(page, user, view_name=None, next_url=None):
    # By the page's class, from the content type cache: no query per page.
    if issubclass(page.specific_class or type(page), reviews.PAGE_MODELS):
        yield from _review_button(page, user, next_url, 62)


@hooks.register("register_page_listing_more_buttons")
def page_listing_review_button(page, user, next_url=None):
    if issubclass(page.specific_class or type(page), reviews.PAGE_MODELS):
        yield from _review_button(page, user, next_url, 45)


@hooks.register("register_snippet_listing_buttons")
def contact_listing_review_button(snippet, user, next_url=None):
    if isinstance(snippet, Contact):
        yield from _review_button(snippet, user, next_url, 45)
