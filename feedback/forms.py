"""How a visitor's answer is validated: the one form that the page's widget,
the JSON endpoint and the tests all go through. Messages in Swedish, the same
beside the field and in the error summary."""

import re

from django import forms
from django.core.validators import EmailValidator

from .models import COMMENT_MAX_LENGTH, RATING_MAX, RATING_MIN

# Control characters other than tab and newline carry nothing a visitor
# meant, and some (NUL) break databases and e-mail.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
HONEYPOT_FIELD = "website"

HELPFUL_CHOICES = [("yes", "Ja"), ("no", "Nej")]
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
        EmailValidator(message="Skriv en giltig e-postadress, till exempel namn@example.se.")
    ]

    def to_python(self, value):
        value = super().to_python(value)
        if any(ch in value for ch in "\r\n,;<>"):
            raise forms.ValidationError(
                "Skriv en enda e-postadress, till exempel namn@example.se.", code="invalid"
            )
        return value


class SignedValueField(forms.CharField):
    """A hidden value the server signed (a token, an answer's reference):
    control characters cannot be part of one, so they go and the signature
    check decides, as for any other forged value."""

    def to_python(self, value):
        return CONTROL_CHARACTERS.sub("", super().to_python(value))


class FeedbackForm(forms.Form):
    helpful = forms.ChoiceField(
        label="Hjälpte informationen på den här sidan dig?",
        choices=HELPFUL_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Välj Ja eller Nej.",
            "invalid_choice": "Välj Ja eller Nej.",
        },
    )
    rating = forms.TypedChoiceField(
        label="Hur nöjd är du med sidans innehåll?",
        choices=RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": f"Välj ett betyg från {RATING_MIN} till {RATING_MAX}."},
    )
    comment = forms.CharField(
        label="Kan du utveckla ditt svar lite mer?",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "max_length": f"Skriv högst {COMMENT_MAX_LENGTH:,} tecken ".replace(",", " ")
            + "(du har skrivit %(show_value)s)."
        },
    )
    email = StrictEmailField(
        label="Får vi kontakta dig (frivilligt)?",
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        error_messages={"max_length": "E-postadressen är för lång."},
    )
    token = SignedValueField(required=False, widget=forms.HiddenInput)
    answer = SignedValueField(required=False, widget=forms.HiddenInput)
    # Left empty by people, who never see it; filled in by many bots.
    website = SignedValueField(required=False, label="Lämna det här fältet tomt")

    def clean_comment(self):
        return CONTROL_CHARACTERS.sub("", self.cleaned_data["comment"]).strip()

    def error_summary(self):
        """[(field id, message)] in the form's order, for the summary that
        links to each field."""
        return [
            (self[name].auto_id if name in self.fields else "", message)
            for name in self.fields
            for message in self.errors.get(name, [])
        ]
