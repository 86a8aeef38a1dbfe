"""How a visitor's answer is validated: the one form that the page's widget,
the JSON endpoint and the tests all go through. Messages in Swedish, the same
beside the field and in the error summary."""

import re
from urllib.parse import urlsplit

from django import forms
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from .models import COMMENT_MAX_LENGTH, LOCATION_MAX_LENGTH, RATING_MAX, RATING_MIN

# Control characters other than tab and newline carry nothing a visitor
# meant, and some (NUL) break databases and e-mail.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
HONEYPOT_FIELD = "website"

HELPFUL_CHOICES = [("yes", _("Ja")), ("no", _("Nej"))]
RATING_CHOICES = [(str(n), str(n)) for n in range(RATING_MIN, RATING_MAX + 1)]


# The addresses the form takes, as a JSON Schema pattern (ECMA-262, which
# Python's re reads alike): Django's EmailValidator without its quoted local
# parts and address literals, which no visitor types. Empty is no address.
_UNICODE = "\\u00a1-\\uffff"
_LABEL_CHARS = f"a-zA-Z{_UNICODE}0-9"
EMAIL_PATTERN = (
    "^(?:[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+(?:\\.[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+)*"
    f"@[{_LABEL_CHARS}](?:[{_LABEL_CHARS}-]{{0,61}}[{_LABEL_CHARS}])?"
    f"(?:\\.(?!-)[{_LABEL_CHARS}-]{{1,63}}(?<!-))*"
    f"\\.(?!-)(?:[a-zA-Z{_UNICODE}-]{{2,63}}|xn--[a-zA-Z0-9]{{1,59}})(?<!-))?$"
)
EMAIL_MAX_LENGTH = 254


class StrictEmailField(forms.EmailField):
    """Django's EmailField, and nothing that could split an e-mail header."""

    default_validators = [
        EmailValidator(message=_("Skriv en giltig e-postadress, till exempel namn@example.se."))
    ]

    def to_python(self, value):
        value = super().to_python(value)
        if any(ch in value for ch in "\r\n,;<>"):
            raise forms.ValidationError(
                _("Skriv en enda e-postadress, till exempel namn@example.se."), code="invalid"
            )
        return value


class SignedValueField(forms.CharField):
    """A hidden value the server signed (a token, an answer's reference):
    control characters cannot be part of one, so they go and the signature
    check decides, as for any other forged value."""

    def to_python(self, value):
        return CONTROL_CHARACTERS.sub("", super().to_python(value))


class ErrorSummaryMixin:
    def error_summary(self):
        """[(field id, message)] in the form's order, for the summary that
        links to each field."""
        return [
            (self[name].auto_id if name in self.fields else "", message)
            for name in self.fields
            for message in self.errors.get(name, [])
        ]


class FeedbackForm(ErrorSummaryMixin, forms.Form):
    helpful = forms.ChoiceField(
        label=_("Hjälpte informationen på den här sidan dig?"),
        choices=HELPFUL_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Välj Ja eller Nej."),
            "invalid_choice": _("Välj Ja eller Nej."),
        },
    )
    rating = forms.TypedChoiceField(
        label=_("Hur nöjd är du med sidans innehåll?"),
        choices=RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Välj ett betyg från 1 till 5.")},
    )
    comment = forms.CharField(
        label=_("Kan du utveckla ditt svar lite mer?"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "max_length": _("Skriv högst 2 000 tecken (du har skrivit %(show_value)s).")
        },
    )
    email = StrictEmailField(
        label=_("Får vi kontakta dig (frivilligt)?"),
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        error_messages={"max_length": _("E-postadressen är för lång.")},
    )
    token = SignedValueField(required=False, widget=forms.HiddenInput)
    answer = SignedValueField(required=False, widget=forms.HiddenInput)
    # Left empty by people, who never see it; filled in by many bots.
    website = SignedValueField(required=False, label=_("Lämna det här fältet tomt"))

    def clean_comment(self):
        return CONTROL_CHARACTERS.sub("", self.cleaned_data["comment"]).strip()


def same_site_path(value, host):
    """The path of `value` when it names a place on this site: a path
    ("/internationella-samarbeten/") or a URL on `host` (the request's host,
    without a port); None for anything else. Without the query string and
    the fragment: a search's query holds what a visitor typed."""
    value = CONTROL_CHARACTERS.sub("", value or "").strip()
    if not value:
        return ""
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except ValueError:  # not a URL at all ("http://[")
        return None
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or not host or hostname != host.lower():
            return None
    elif not value.startswith("/"):
        return None
    path = parts.path or "/"
    # "//host" is another site to a browser; a backslash is one to some.
    if path.startswith("//") or "\\" in path or len(path) > LOCATION_MAX_LENGTH:
        return None
    return path


class AccessibilityReportForm(ErrorSummaryMixin, forms.Form):
    """ "Rapportera brist i tillgängligheten": what the problem is, where, and
    an optional address. No yes/no question: a report is not an answer."""

    problem = forms.CharField(
        label=_("Vad är problemet?"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Beskriv problemet, så att vi kan åtgärda det."),
            "max_length": _("Skriv högst 2 000 tecken (du har skrivit %(show_value)s)."),
        },
    )
    location = forms.CharField(
        label=_("Var på webbplatsen finns problemet? (frivilligt)"),
        required=False,
        max_length=LOCATION_MAX_LENGTH,
        error_messages={"max_length": _("Adressen är för lång.")},
    )
    email = StrictEmailField(
        label=_("Din e-postadress (frivilligt)"),
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        error_messages={"max_length": _("E-postadressen är för lång.")},
    )
    token = SignedValueField(required=False, widget=forms.HiddenInput)
    website = SignedValueField(required=False, label=_("Lämna det här fältet tomt"))

    def __init__(self, *args, host=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.host = host

    def clean_problem(self):
        problem = CONTROL_CHARACTERS.sub("", self.cleaned_data["problem"]).strip()
        if not problem:
            raise forms.ValidationError(self.fields["problem"].error_messages["required"])
        return problem

    def clean_location(self):
        path = same_site_path(self.cleaned_data["location"], self.host)
        if path is None:
            raise forms.ValidationError(
                _(
                    "Skriv adressen till en sida på den här webbplatsen, till exempel "
                    "/internationella-samarbeten/, eller lämna fältet tomt och beskriv "
                    "var problemet finns i rutan ovan."
                ),
                code="invalid",
            )
        return path
