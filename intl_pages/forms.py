"""Editor forms: clear Swedish messages for times that daylight saving makes
impossible or ambiguous.

Times are entered in Stockholm time and stored in UTC. On the last Sunday of
March the clock jumps from 02:00 to 03:00, so 02:30 does not exist; on the
last Sunday of October it falls back from 03:00 to 02:00, so 02:30 happens
twice. Django refuses both with a generic sentence; the editor is told
instead what happened and what to choose, and nothing is guessed.
"""

from datetime import UTC

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from wagtail.admin.forms import WagtailAdminModelForm, WagtailAdminPageForm

SCHEDULE_FIELDS = ("go_live_at", "expire_at")
# Wagtail's scheduling widget names no time zone (its issue #4890).
SCHEDULE_HELP = "Svensk tid, CET/CEST (vintertid UTC+1, sommartid UTC+2)."


def daylight_saving_problem(naive, zone):
    """'missing', 'ambiguous' or None for a wall-clock time in `zone`."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return "missing" if round_trip != naive else "ambiguous"


def daylight_saving_message(naive, zone):
    problem = daylight_saving_problem(naive, zone)
    day = naive.strftime("%Y-%m-%d")
    clock = naive.strftime("%H:%M")
    if problem == "missing":
        return (
            f"Klockan {clock} finns inte den {day}: natten till sommartid hoppar klockan "
            "från 02:00 till 03:00. Välj en tid före 02:00 eller från 03:00."
        )
    if problem == "ambiguous":
        return (
            f"Klockan {clock} inträffar två gånger den {day}: natten till vintertid går "
            "klockan tillbaka från 03:00 till 02:00. Välj en tid före 02:00 eller från "
            "03:00, så att det är entydigt när publiceringen ska ske."
        )
    return None


class DaylightSavingFormMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SCHEDULE_FIELDS:
            if name in self.fields:
                self.fields[name].help_text = SCHEDULE_HELP

    def clean(self):
        cleaned_data = super().clean()
        zone = timezone.get_current_timezone()
        for name in SCHEDULE_FIELDS:
            errors = self._errors.get(name) if self._errors else None
            if not errors or not any(e.code == "ambiguous_timezone" for e in errors.as_data()):
                continue
            try:
                # The wall-clock time as typed; the form field itself cannot
                # return it, since it fails at the very step we explain.
                naive = parse_datetime(self.data.get(self.add_prefix(name)) or "")
            except ValueError:
                naive = None
            message = naive and daylight_saving_message(naive.replace(tzinfo=None), zone)
            if message:
                self._errors[name] = self.error_class([message])
        return cleaned_data


class InternationalPageForm(DaylightSavingFormMixin, WagtailAdminPageForm):
    pass


class HomePageForm(DaylightSavingFormMixin, WagtailAdminPageForm):
    pass


class ContactForm(DaylightSavingFormMixin, WagtailAdminModelForm):
    pass


class AccessibilityStatementPageForm(DaylightSavingFormMixin, WagtailAdminPageForm):
    pass
