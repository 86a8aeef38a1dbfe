from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .views import LockoutsView, unlock_view


@hooks.register("register_admin_urls")
def register_lockout_urls():
    return [
        path("lasta-inloggningar/", LockoutsView.as_view(), name="security_lockouts"),
        path(
            "lasta-inloggningar/results/",
            LockoutsView.as_view(results_only=True),
            name="security_lockouts_results",
        ),
        path("lasta-inloggningar/las-upp/", unlock_view, name="security_unlock"),
    ]


class SuperuserMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


@hooks.register("register_settings_menu_item")
def register_lockouts_menu_item():
    return SuperuserMenuItem(
        "Låsta inloggningar",
        reverse("security_lockouts"),
        name="lasta-inloggningar",
        icon_name="lock",
        order=900,
    )
