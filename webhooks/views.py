"""The admin's views of the endpoints (Inställningar → Webhook-mottagare).

Everything here needs a permission on the endpoint model (superusers have
them all): creating an endpoint shows its secret once; its deliveries and
their attempts, and "Skicka igen", need the permission to change it.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import Button, ListingButton

from . import delivery
from .models import Delivery, Endpoint, generate_secret

CHANGE_PERMISSION = "webhooks.change_endpoint"
SESSION_KEY = "webhooks:new-secret:{pk}"
DELIVERIES_SHOWN = 50


def _require_change_permission(user):
    if not user.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied


class EndpointIndexView(generic.IndexView):
    def get(self, request, *args, **kwargs):
        # The owner of an endpoint the deliveries switched off is told here,
        # where they manage it, until they switch it on again (not in the
        # results fragment a search fetches, which shows no messages).
        told = [] if self.results_only else delivery.switched_off_for(request.user)
        for endpoint in told:
            messages.warning(
                request,
                f"Webhook-mottagaren {endpoint.url} stängdes av "
                f"{endpoint.disabled_at:%Y-%m-%d %H:%M} eftersom alla leveranser till den "
                "misslyckats i ett dygn. Rätta mottagaren och markera den som aktiv igen.",
            )
        return super().get(request, *args, **kwargs)

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if self.request.user.has_perm(CHANGE_PERMISSION):
            buttons.append(
                ListingButton(
                    "Leveranser",
                    url=reverse("webhooks_endpoint:deliveries", args=[instance.pk]),
                    icon_name="history",
                    priority=5,
                )
            )
        return buttons


class EndpointCreateView(generic.CreateView):
    success_message = "Webhook-mottagaren %(object)s skapades."

    def save_instance(self):
        secret = generate_secret()
        self.form.instance.secret = secret
        self.form.instance.created_by = self.request.user
        instance = super().save_instance()
        # Until the next page shows it once; only the secret's row keeps it after.
        self.request.session[SESSION_KEY.format(pk=instance.pk)] = secret
        return instance

    def get_success_url(self):
        return reverse("webhooks_endpoint:secret", args=[self.object.pk])

    def get_success_buttons(self):
        return []


class EndpointEditView(generic.EditView):
    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        buttons.append(
            Button(
                "Leveranser",
                url=reverse("webhooks_endpoint:deliveries", args=[self.object.pk]),
                icon_name="history",
                priority=5,
            )
        )
        return buttons

    def save_instance(self):
        instance = super().save_instance()
        delivery.switched_on(instance)
        return instance


class AdminPage(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "link-external"

    def dispatch(self, request, *args, **kwargs):
        _require_change_permission(request.user)
        self.endpoint = get_object_or_404(Endpoint, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("webhooks_endpoint:index"), "label": "Webhook-mottagare"},
            {
                "url": reverse("webhooks_endpoint:edit", args=[self.endpoint.pk]),
                "label": str(self.endpoint),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(endpoint=self.endpoint, **kwargs)


class SecretView(AdminPage):
    """The new endpoint's secret, once: it leaves the session as it is shown."""

    template_name = "webhooks/secret.html"
    page_title = "Hemlighet"

    def get_context_data(self, **kwargs):
        secret = self.request.session.pop(SESSION_KEY.format(pk=self.endpoint.pk), None)
        return super().get_context_data(secret=secret, **kwargs)


class DeliveriesView(AdminPage):
    """The endpoint's latest deliveries, each with its attempts."""

    template_name = "webhooks/deliveries.html"
    page_title = "Leveranser"

    def get_context_data(self, **kwargs):
        deliveries = self.endpoint.deliveries.prefetch_related("attempt_log")[:DELIVERIES_SHOWN]
        return super().get_context_data(
            deliveries=deliveries, retention_days=settings.WEBHOOKS_LOG_RETENTION_DAYS, **kwargs
        )


@require_POST
def resend_view(request, pk):
    _require_change_permission(request.user)
    row = get_object_or_404(Delivery, pk=pk)
    with transaction.atomic():
        sent = delivery.resend(row.pk)
    if sent:
        messages.success(request, "Leveransen skickas igen.")
    else:
        messages.error(request, "Mottagaren är inte aktiv: aktivera den först.")
    return redirect("webhooks_endpoint:deliveries", row.endpoint_id)
