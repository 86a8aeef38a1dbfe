"""Wagtail's API-token screens (Inställningar → API-tokens) with a token's
scopes and expiry: Wagtail's own views, forms and listing, each extended by
the grant's fields (models.py). wagtail_hooks.py puts this viewset where
Wagtail builds its own."""

import django_filters
from django import forms
from django.db import transaction
from django.utils import formats, timezone
from django.utils.functional import cached_property
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.components import MediaContainer
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import AdminDateTimeInput
from wagtail.admin.widgets.boolean_radio_select import BooleanRadioSelect
from wagtail.models import APIToken
from wagtail.users.views import api_tokens

from .models import APITokenGrant, default_expiry
from .scopes import SCOPE_CHOICES, SCOPES


class GrantFields(forms.Form):
    """What a token may be used for and until when, beside Wagtail's fields."""

    scopes = forms.MultipleChoiceField(
        label="Behörigheter",
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Vad token får användas till. Ge bara det den behövs för; dess användares egna "
            "rättigheter gäller också."
        ),
        error_messages={
            "required": "Välj minst en behörighet.",
            "invalid_choice": "Okänd behörighet: %(value)s.",
        },
    )
    expires_at = forms.DateTimeField(
        label="Går ut",
        initial=default_expiry,
        widget=AdminDateTimeInput,
        help_text="Svensk tid. Därefter avvisas token; en ny får göras.",
        error_messages={"required": "Ange när token går ut.", "invalid": "Ange datum och tid."},
    )

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        # An expiry already past may stay as it is while the name changes;
        # the field shows minutes, so the stored one is compared to the minute.
        shown = self.get_initial_for_field(self.fields["expires_at"], "expires_at")
        if shown is not None and expires_at == shown.replace(second=0, microsecond=0):
            return shown
        if expires_at <= timezone.now():
            raise forms.ValidationError("Välj en tidpunkt som inte har passerat.")
        return expires_at

    def grant_values(self):
        chosen = self.cleaned_data["scopes"]
        return {
            "scopes": [scope for scope in SCOPES if scope in chosen],
            "expires_at": self.cleaned_data["expires_at"],
        }


class TokenCreateForm(GrantFields, api_tokens.APITokenForm):
    pass


EXPIRED_HELP = "Utgången: token avvisas. Välj en ny tidpunkt för att den ska gälla igen."


class TokenEditForm(GrantFields, WagtailAdminModelForm):
    class Meta:
        model = APIToken
        fields = ["name"]  # Wagtail's: rename only

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        grant = getattr(self.instance, "grant", None)
        if grant is not None:
            self.initial.setdefault("scopes", grant.scopes)
            self.initial.setdefault("expires_at", grant.expires_at)
            if grant.expired:
                self.fields["expires_at"].help_text = EXPIRED_HELP


def grant_of(token):
    return getattr(token, "grant", None)


class ScopesColumn(Column):
    def get_value(self, instance):
        grant = grant_of(instance)
        return grant.scope_list if grant else "Inga (token avvisas)"


class ExpiryColumn(Column):
    cell_template_name = "headless/api_tokens/expiry_cell.html"

    def get_value(self, instance):
        grant = grant_of(instance)
        return grant.expires_at if grant else None

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        grant = grant_of(instance)
        context["expired"] = bool(grant and grant.expired)
        return context


class TokenFilterSet(api_tokens.APITokenFilterSet):
    expired = django_filters.BooleanFilter(
        label="Utgången", method="filter_expired", widget=BooleanRadioSelect
    )

    def filter_expired(self, queryset, name, value):
        if value is None:
            return queryset
        past = queryset.filter(grant__expires_at__lte=timezone.now())
        return past if value else queryset.filter(grant__expires_at__gt=timezone.now())


class TokenIndexView(api_tokens.IndexView):
    filterset_class = TokenFilterSet

    @cached_property
    def columns(self):
        columns = list(super().columns)
        grant_columns = [
            ScopesColumn("scopes", label="Behörigheter"),
            ExpiryColumn("expires_at", label="Går ut"),
        ]
        # Before Wagtail's "revoked": what the token may do, then its end.
        at = next((i for i, c in enumerate(columns) if c.name == "revoked_at"), len(columns))
        return [*columns[:at], *grant_columns, *columns[at:]]

    def get_queryset(self):
        return super().get_queryset().select_related("grant")


class TokenCreateView(api_tokens.CreateView):
    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            APITokenGrant.objects.create(token=self.object, **form.grant_values())
        return response


def grant_status(token):
    """Title, help text and icon of the token's grant in the status panel."""
    grant = grant_of(token)
    if grant is None:
        return "Inga behörigheter", "Token avvisas tills den får behörigheter.", "warning"
    when = formats.date_format(timezone.localtime(grant.expires_at), "DATETIME_FORMAT")
    if grant.expired:
        return "Utgången", f"Gick ut {when}; token avvisas.", "circle-xmark"
    return f"Går ut {when}", f"Behörigheter: {grant.scope_list}", "calendar"


class GrantStatusSidePanel(api_tokens.APITokenStatusSidePanel):
    def get_status_templates(self, context):
        templates = super().get_status_templates(context)
        return [templates[0], "headless/api_tokens/grant_status.html", *templates[1:]]

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        title, help_text, icon = grant_status(self.object)
        context.update(grant_title=title, grant_help_text=help_text, grant_icon=icon)
        return context


class TokenEditView(api_tokens.EditView):
    def get_queryset(self):
        return super().get_queryset().select_related("grant")

    def save_instance(self):
        # Inside the edit view's transaction, with Wagtail's own save.
        token = super().save_instance()
        APITokenGrant.objects.update_or_create(token=token, defaults=self.form.grant_values())
        return token

    def get_side_panels(self):
        # Wagtail's panel, as its view builds it, with the grant's status.
        return MediaContainer(
            [
                GrantStatusSidePanel(
                    self.object,
                    self.request,
                    usage_url=self.get_usage_url(),
                    history_url=self.get_history_url(),
                    last_updated_info=self.get_last_updated_info(),
                )
            ]
        )


class ScopedAPITokenViewSet(api_tokens.APITokenViewSet):
    index_view_class = TokenIndexView
    add_view_class = TokenCreateView
    edit_view_class = TokenEditView

    def get_form_class(self, for_update=False):
        return TokenEditForm if for_update else TokenCreateForm
