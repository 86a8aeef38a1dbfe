"""The admin's "Schemalagt": the list, the week and month calendar, the
actions, the dashboard panel, and each editor's calendar feed. Every view
reads `rows.scheduled_changes`."""

import calendar as month_calendar
import secrets
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Page

from headless.schedule_changes import ScheduleError, parse_time

from . import actions, failures, ical
from .models import EXPIRE, PUBLISH, CalendarFeed, hash_secret
from .rows import CONTACT, PAGE, may_publish, scheduled_changes, scheduled_models
from .times import STOCKHOLM

WEEKDAYS = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]
MONTHS = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]


def stockholm_midnight(day):
    return datetime.combine(day, time.min, tzinfo=STOCKHOLM)


class FilterForm(forms.Form):
    typ = forms.ChoiceField(
        label="Typ",
        required=False,
        choices=[("", "Alla"), (PAGE, "Sidor"), (CONTACT, "Kontaktpersoner")],
    )
    schemalagd_av = forms.ModelChoiceField(
        label="Schemalagd av",
        required=False,
        queryset=get_user_model().objects.none(),
        empty_label="Alla",
    )
    fran = forms.DateField(
        label="Från och med",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Svensk tid (CET/CEST).",
    )
    till = forms.DateField(
        label="Till och med",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Svensk tid (CET/CEST).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schemalagd_av"].queryset = get_user_model().objects.filter(is_active=True)

    def clean(self):
        data = super().clean()
        if data.get("fran") and data.get("till") and data["till"] < data["fran"]:
            self.add_error(
                "till", "Slutdatumet måste vara samma dag som startdatumet eller senare."
            )
        return data

    def arguments(self):
        """scheduled_changes's filters from the form (nothing if it is invalid)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "kinds": [data["typ"]] if data.get("typ") else None,
            "owner": data["schemalagd_av"].pk if data.get("schemalagd_av") else None,
            "start": stockholm_midnight(data["fran"]) if data.get("fran") else None,
            "end": stockholm_midnight(data["till"] + timedelta(days=1))
            if data.get("till")
            else None,
        }


def with_permissions(rows, user):
    """Each row with whether the user may act on it (one check per object)."""
    allowed = {}
    result = []
    for row in rows:
        key = (row.what, row.object.pk)
        if key not in allowed:
            allowed[key] = may_publish(user, row.object)
        result.append({"row": row, "may_act": allowed[key]})
    return result


class ReportView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "planning/report.html"
    page_title = "Schemalagt"
    header_icon = "calendar-alt"

    def get_breadcrumbs_items(self):
        return [{"url": "", "label": "Rapporter"}, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = FilterForm(self.request.GET or None)
        rows = scheduled_changes(user=self.request.user, **form.arguments())
        context.update(
            form=form,
            rows=with_permissions(rows, self.request.user),
            attention=sum(1 for row in rows if row.needs_attention),
            here=self.request.get_full_path(),
            calendar_url=reverse("planning_calendar")
            + "?"
            + urlencode(
                {
                    n: self.request.GET[n]
                    for n in ("typ", "schemalagd_av")
                    if self.request.GET.get(n)
                }
            ),
            feed_url=reverse("planning_feed_settings"),
        )
        return context


class CalendarView(WagtailAdminTemplateMixin, TemplateView):
    """A week or a month as a table: a row per week, a column per weekday,
    each change a link with its time and a text label (no colour needed)."""

    template_name = "planning/calendar.html"
    page_title = "Schemalagt – kalender"
    header_icon = "calendar-alt"

    def get_breadcrumbs_items(self):
        return [
            {"url": reverse("planning_report"), "label": "Schemalagt"},
            {"url": "", "label": "Kalender"},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        view = "manad" if self.request.GET.get("vy") == "manad" else "vecka"
        try:
            day = date.fromisoformat(self.request.GET.get("datum", ""))
        except ValueError:
            day = timezone.localdate(timezone=STOCKHOLM)
        if view == "manad":
            first = day.replace(day=1)
            last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
            grid_start = first - timedelta(days=first.weekday())
            grid_end = last + timedelta(days=6 - last.weekday())
            previous_day = (first - timedelta(days=1)).replace(day=1)
            next_day = last + timedelta(days=1)
            title = f"{MONTHS[first.month - 1].capitalize()} {first.year}"
        else:
            grid_start = day - timedelta(days=day.weekday())
            grid_end = grid_start + timedelta(days=6)
            previous_day = grid_start - timedelta(days=7)
            next_day = grid_start + timedelta(days=7)
            week = grid_start.isocalendar()
            title = f"Vecka {week.week} {week.year}"
        # The list's filters of type and owner hold here too; the grid is the period.
        form = FilterForm(self.request.GET or None)
        chosen = form.arguments()
        kept = {
            name: self.request.GET[name]
            for name in ("typ", "schemalagd_av")
            if self.request.GET.get(name) and name not in form.errors
        }
        rows = scheduled_changes(
            user=self.request.user,
            start=stockholm_midnight(grid_start),
            end=stockholm_midnight(grid_end + timedelta(days=1)),
            kinds=chosen.get("kinds"),
            owner=chosen.get("owner"),
        )
        by_day = {}
        for row in rows:
            by_day.setdefault(row.when.astimezone(STOCKHOLM).date(), []).append(row)
        for day_rows in by_day.values():
            day_rows.sort(key=lambda r: r.when)
        weeks = []
        current = grid_start
        while current <= grid_end:
            weeks.append(
                {
                    "number": current.isocalendar().week,
                    "days": [
                        {
                            "date": current + timedelta(days=offset),
                            "weekday": WEEKDAYS[offset],
                            "outside": view == "manad"
                            and (current + timedelta(days=offset)).month != day.month,
                            "today": current + timedelta(days=offset)
                            == timezone.localdate(timezone=STOCKHOLM),
                            "rows": by_day.get(current + timedelta(days=offset), []),
                        }
                        for offset in range(7)
                    ],
                }
            )
            current += timedelta(days=7)
        base = reverse("planning_calendar")

        def url(vy, on):
            return f"{base}?{urlencode({'vy': vy, 'datum': on.isoformat(), **kept})}"

        context.update(
            view=view,
            title=title,
            weeks=weeks,
            weekdays=WEEKDAYS,
            previous_url=url(view, previous_day),
            next_url=url(view, next_day),
            week_url=url("vecka", day),
            month_url=url("manad", day),
            list_url=f"{reverse('planning_report')}?{urlencode(kept)}"
            if kept
            else reverse("planning_report"),
        )
        return context


# The actions


def _target(request):
    what = request.POST.get("what")
    try:
        pk = int(request.POST.get("pk", ""))
    except ValueError:
        raise Http404 from None
    for model in scheduled_models():
        if (what == PAGE and model is Page) or (what != PAGE and model._meta.model_name == what):
            obj = model.objects.filter(pk=pk).first()
            if obj is None:
                raise Http404
            return obj.specific if isinstance(obj, Page) else obj
    raise Http404


def _back(request):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("planning_report")


@require_POST
def action_view(request):
    obj = _target(request)
    action = request.POST.get("action")
    operation = request.POST.get("operation")
    if action not in (PUBLISH, EXPIRE) or operation not in ("cancel", "move", "now"):
        messages.error(request, "Okänd åtgärd.")
        return _back(request)
    try:
        if operation == "cancel":
            actions.cancel(obj, request.user, action)
            done = "Schemaläggningen av ”{}” är borttagen."
        elif operation == "move":
            when = parse_time("when", request.POST.get("when", ""))
            actions.move(obj, request.user, action, when)
            done = "”{}” är flyttad."
        else:
            revision_id = request.POST.get("revision") or None
            actions.carry_out_now(obj, request.user, action, revision_id and int(revision_id))
            done = "”{}” är publicerad nu." if action == PUBLISH else "”{}” är avpublicerad nu."
    except PermissionDenied:
        messages.error(request, f"Du får inte publicera ”{obj}”.")
        return _back(request)
    except (ScheduleError, actions.ActionError, ValueError) as error:
        messages.error(request, getattr(error, "message", str(error)))
        return _back(request)
    except ValidationError as error:  # the revision is not valid (any more)
        messages.error(request, "Det gick inte: " + " ".join(error.messages))
        return _back(request)
    messages.success(request, done.format(obj))
    return _back(request)


@require_POST
def acknowledge_view(request, failure_id):
    if failures.acknowledge(failure_id, request.user):
        messages.success(request, "Felet är markerat som sett.")
    return _back(request)


# The calendar feed


def new_feed_secret(user):
    """A new secret address for the user's feed; the old one stops working."""
    secret = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(user=user, defaults={"secret_hash": hash_secret(secret)})
    return secret


def feed_path(secret):
    return reverse("planning_ical", args=[secret])


class FeedSettingsView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "planning/feed.html"
    page_title = "Schemalagt i din kalender"
    header_icon = "calendar-alt"

    def get_breadcrumbs_items(self):
        return [
            {"url": reverse("planning_report"), "label": "Schemalagt"},
            {"url": "", "label": "Kalenderprenumeration"},
        ]

    def post(self, request):
        secret = new_feed_secret(request.user)
        context = self.get_context_data(
            feed_url=request.build_absolute_uri(feed_path(secret)), renewed=True
        )
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["has_feed"] = CalendarFeed.objects.filter(user=self.request.user).exists()
        return context


def ical_view(request, secret):
    """The feed at its secret address: no session, the secret is the key."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(secret_hash=hash_secret(secret), user__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404
    start = timezone.now() - timedelta(days=31)
    rows = scheduled_changes(user=feed.user, start=start)
    body = ical.calendar(rows, base_url=settings.WAGTAILADMIN_BASE_URL.rstrip("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="schemalagt.ics"'
    return response


# The dashboard


class DashboardPanel(Component):
    """The coming week's scheduled changes, and every failure not yet seen."""

    name = "schemalagt"
    template_name = "planning/dashboard_panel.html"
    order = 50

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None):
        now = timezone.now()
        rows = scheduled_changes(user=self.request.user, start=now, end=now + timedelta(days=7))
        return {
            "rows": rows,
            "report_url": reverse("planning_report"),
            "calendar_url": reverse("planning_calendar"),
            # A component renders without the request: its form's token here.
            "csrf_token_value": get_token(self.request),
            "here": self.request.get_full_path(),
        }
