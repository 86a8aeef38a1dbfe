import ipaddress
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from wagtail.admin.forms import WagtailAdminModelForm

from .addresses import refusal, target_refusal
from .models import EVENT_CHOICES, Endpoint


class EndpointForm(WagtailAdminModelForm):
    """The endpoint's address, events and switch. No secret field: the
    server makes the secret, and anything posted under that name is
    ignored."""

    url = forms.URLField(
        label="adress",
        max_length=500,
        assume_scheme="https",
        help_text="Dit händelserna skickas med POST, till exempel https://exempel.se/webhook.",
    )
    events = forms.MultipleChoiceField(
        label="händelser",
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="De händelser som skickas till adressen.",
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Shown, never editable: the secret itself was shown once, at creation.
            self.fields["secret_hint"] = forms.CharField(
                label="hemlighet",
                required=False,
                disabled=True,
                initial=self.instance.secret_hint,
                help_text="Hemligheten visades en gång, när mottagaren skapades.",
            )

    def clean_url(self):
        url = self.cleaned_data["url"]
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise forms.ValidationError("Porten i adressen är inte ett giltigt nummer.") from None
        refused = target_refusal(
            parts.scheme,
            port,
            allow_http=settings.WEBHOOKS_ALLOW_HTTP,
            allowed_ports=settings.WEBHOOKS_ALLOWED_PORTS,
        )
        if refused:
            raise forms.ValidationError(refused)
        if parts.username or parts.password:
            raise forms.ValidationError("Adressen får inte innehålla användarnamn eller lösenord.")
        try:
            literal = ipaddress.ip_address(parts.hostname or "")
        except ValueError:
            literal = None
        # A name is checked at every attempt (it may resolve differently
        # then); an address typed as digits can be refused at once.
        if literal is not None and not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
            reason = refusal(literal)
            if reason:
                raise forms.ValidationError(f"Adressen är inte tillåten: den är {reason}.")
        return url
