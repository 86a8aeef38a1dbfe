from django.urls import path
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet

from .forms import EndpointForm
from .models import Endpoint
from .views import (
    DeliveriesView,
    EndpointCreateView,
    EndpointEditView,
    EndpointIndexView,
    SecretView,
    resend_view,
)


class EndpointViewSet(ModelViewSet):
    """Inställningar → Webhook-mottagare: where front-end teams' endpoints are
    registered, their deliveries read and sent again."""

    model = Endpoint
    name = "webhooks_endpoint"
    url_prefix = "webhooks"
    icon = "link-external"
    menu_label = "Webhook-mottagare"
    menu_order = 400
    add_to_settings_menu = True
    index_view_class = EndpointIndexView
    add_view_class = EndpointCreateView
    edit_view_class = EndpointEditView
    list_display = ["url", "events_display", "status_display", "created_by"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    copy_view_enabled = False
    add_to_reference_index = False

    def get_form_class(self, for_update=False):
        return EndpointForm

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("secret/<int:pk>/", SecretView.as_view(), name="secret"),
            path("deliveries/<int:pk>/", DeliveriesView.as_view(), name="deliveries"),
            path("resend/<int:pk>/", resend_view, name="resend"),
        ]


@hooks.register("register_admin_viewset")
def register_endpoint_viewset():
    return EndpointViewSet()
