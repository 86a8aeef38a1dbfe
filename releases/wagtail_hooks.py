"""Releases in Wagtail's admin: the menu item "Utgåvor" and its views
(views.py), "Lägg till i utgåva" on the edit views of pages and contacts,
and what those edit views say about a release that holds the object."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.action_menu import ActionMenuItem as PageActionMenuItem
from wagtail.admin.menu import MenuItem
from wagtail.snippets.action_menu import ActionMenuItem as SnippetActionMenuItem

from intl_pages.models import Contact

from . import actions, views
from .times import both

ADD_TO_RELEASE = "action-add-to-release"
ADD_LABEL = "Lägg till i utgåva"
INCOMPLETE = (
    "Utkastet är sparat, men {label} kan inte läggas till i en utgåva förrän "
    "formuläret är komplett: {errors}"
)

admin_urls = [
    path("", views.index, name="index"),
    path("ny/", views.create, name="create"),
    path("<int:release_id>/", views.detail, name="detail"),
    path("<int:release_id>/schemalagg/", views.schedule, name="schedule"),
    path("<int:release_id>/avschemalagg/", views.unschedule, name="unschedule"),
    path("<int:release_id>/avbryt/", views.cancel, name="cancel"),
    path("<int:release_id>/lagg-till/", views.add, name="add"),
    path("<int:release_id>/andringar/<int:item_id>/ta-bort/", views.remove, name="remove"),
    path("<int:release_id>/andringar/<int:item_id>/senaste/", views.repin, name="repin"),
    path(
        "<int:release_id>/forhandsgranska/<int:page_id>/",
        views.preview_page,
        name="preview",
    ),
    path(
        "lagg-till/<str:kind>/<str:object_id>/<int:revision_id>/",
        views.choose,
        name="choose",
    ),
]


@hooks.register("register_admin_urls")
def register_release_urls():
    # Wagtail wraps these in its admin-access check.
    return [path("utgavor/", include((admin_urls, "releases_admin"), namespace="releases_admin"))]


@hooks.register("register_admin_menu_item")
def release_menu_item():
    return MenuItem("Utgåvor", reverse("releases_admin:index"), icon_name="calendar-alt", order=250)


# "Lägg till i utgåva": the edit view saves the form as "Spara utkast" does
# (the button's name is no action Wagtail knows), then the hooks below send
# the editor on to choose the release for the revision just saved.


class AddToReleasePageItem(PageActionMenuItem):
    name = ADD_TO_RELEASE
    label = ADD_LABEL
    icon_name = "calendar-alt"

    def is_shown(self, context):
        return context["view"] == "edit" and not context["locked_for_user"]


class AddToReleaseSnippetItem(SnippetActionMenuItem):
    name = ADD_TO_RELEASE
    label = ADD_LABEL
    icon_name = "calendar-alt"

    def is_shown(self, context):
        return context["view"] == "edit" and not context.get("locked_for_user")


@hooks.register("register_page_action_menu_item")
def add_page_to_release():
    return AddToReleasePageItem(order=15)


@hooks.register("register_snippet_action_menu_item")
def add_contact_to_release(model):
    return AddToReleaseSnippetItem(order=15) if model is Contact else None


def _to_release(request, obj):
    """After the draft is saved: on to choosing the release, when the
    editor asked for it and the form is complete."""
    if not request.POST.get(ADD_TO_RELEASE):
        return None
    try:
        # A draft may be saved half-filled; a release publishes it as it is.
        obj.full_clean()
    except ValidationError as error:
        errors = " ".join(error.messages)
        messages.error(
            request, INCOMPLETE.format(label=actions.lower_first(actions.label(obj)), errors=errors)
        )
        return None
    kind = views.kind_of(obj)
    return redirect("releases_admin:choose", kind, obj.pk, obj.latest_revision_id)


@hooks.register("after_edit_page")
def page_to_release(request, page):
    return _to_release(request, page)


@hooks.register("after_edit_snippet")
def contact_to_release(request, instance):
    if isinstance(instance, Contact):
        return _to_release(request, instance)
    return None


# The edit views say which scheduled release holds the object, and a
# conflict at once.


def _say_release(request, obj):
    if request.method != "GET":
        return
    release, conflict = actions.release_of(obj)
    if release is None:
        return
    button = messages.button(reverse("releases_admin:detail", args=[release.pk]), "Visa utgåvan")
    if conflict:
        messages.warning(
            request,
            f"Utgåvan ”{release.name}” står i konflikt: {conflict}",
            buttons=[button],
        )
    else:
        messages.info(
            request,
            f"Ingår i utgåvan ”{release.name}”, publiceras {both(release.go_live_at)}.",
            buttons=[button],
        )


@hooks.register("before_edit_page")
def page_in_release(request, page):
    _say_release(request, page)


@hooks.register("before_edit_snippet")
def contact_in_release(request, instance):
    if isinstance(instance, Contact):
        _say_release(request, instance)
