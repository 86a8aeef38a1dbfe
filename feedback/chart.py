"""The report's chart over time: the answers per day, week or month, Ja and
Nej stacked, drawn on the server as SVG so that it needs no script.

Readable without colour: Ja is solid, Nej is hatched, every bar carries its
numbers as text, and the same figures are in a table for screen readers
(the SVG is `role="img"` with a title and a description).
"""

import datetime
import math
import zoneinfo
from dataclasses import dataclass

from django.db.models import Max, Min
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.template.loader import render_to_string

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")

# Above this many days per bucket, the next coarser step: a chart of a year
# by day would be 365 bars too thin to read.
DAYS_SHOWN_BY_DAY = 31
DAYS_SHOWN_BY_WEEK = 7 * 26

MONTHS = "jan feb mar apr maj jun jul aug sep okt nov dec".split()

WIDTH = 640
HEIGHT = 220
MARGIN_LEFT = 36
MARGIN_BOTTOM = 40
MARGIN_TOP = 24
LABEL_WIDTH = 48


@dataclass(frozen=True)
class Bucket:
    start: datetime.date
    label: str
    yes: int
    no: int
    mean_rating: float | None

    @property
    def answers(self):
        return self.yes + self.no


def step_for(first, last):
    days = (last - first).days
    if days <= DAYS_SHOWN_BY_DAY:
        return "dag"
    if days <= DAYS_SHOWN_BY_WEEK:
        return "vecka"
    return "månad"


def label_for(start, step):
    if step == "dag":
        return f"{start.day} {MONTHS[start.month - 1]}"
    if step == "vecka":
        return f"v. {start.isocalendar().week}"
    return f"{MONTHS[start.month - 1]} {start.year}"


TRUNCATE = {"dag": TruncDay, "vecka": TruncWeek, "månad": TruncMonth}


def answers_over_time(queryset):
    """The figures of `queryset` by the one rule for a counted answer
    (`FeedbackQuerySet.figures`), per day, week or month in Stockholm time:
    one query for the span, one for the buckets."""
    span = queryset.counted().aggregate(first=Min("created_at"), last=Max("created_at"))
    if span["first"] is None:
        return "dag", []
    first, last = span["first"], span["last"]
    step = step_for(first.astimezone(STOCKHOLM).date(), last.astimezone(STOCKHOLM).date())
    rows = (
        queryset.annotate(bucket=TRUNCATE[step]("created_at", tzinfo=STOCKHOLM))
        .figures("bucket")
        .order_by("bucket")
    )
    found = {row["bucket"].astimezone(STOCKHOLM).date(): row for row in rows}
    # Every day, week or month of the span, those without answers too: a gap
    # in the answers is a gap on the time axis, not two bars side by side.
    buckets = []
    for start in bucket_starts(min(found), max(found), step):
        row = found.get(start, {"yes": 0, "no": 0, "mean_rating": None})
        buckets.append(
            Bucket(start, label_for(start, step), row["yes"], row["no"], row["mean_rating"])
        )
    return step, buckets


def bucket_starts(first, last, step):
    current = first
    while current <= last:
        yield current
        if step == "dag":
            current += datetime.timedelta(days=1)
        elif step == "vecka":
            current += datetime.timedelta(days=7)
        else:
            current = (current.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def layout(buckets):
    """Where each bar and its parts go, in SVG units."""
    plot_width = WIDTH - MARGIN_LEFT - 8
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    highest = max((b.answers for b in buckets), default=0) or 1
    slot = plot_width / max(len(buckets), 1)
    bar_width = max(min(slot * 0.7, 48), 2)
    # A label is about 48 units wide: under every bar they would overlap.
    label_every = max(1, math.ceil(LABEL_WIDTH / slot))
    bars = []
    for index, bucket in enumerate(buckets):
        x = MARGIN_LEFT + index * slot + (slot - bar_width) / 2
        yes_height = plot_height * bucket.yes / highest
        no_height = plot_height * bucket.no / highest
        base = MARGIN_TOP + plot_height
        bars.append(
            {
                "bucket": bucket,
                "x": round(x, 1),
                "width": round(bar_width, 1),
                "centre": round(x + bar_width / 2, 1),
                "yes_y": round(base - yes_height, 1),
                "yes_height": round(yes_height, 1),
                "no_y": round(base - yes_height - no_height, 1),
                "no_height": round(no_height, 1),
                "total_y": round(base - yes_height - no_height - 4, 1),
                "show_label": index % label_every == 0,
            }
        )
    return {
        "bars": bars,
        "highest": highest,
        "width": WIDTH,
        "height": HEIGHT,
        "left": MARGIN_LEFT,
        "right": WIDTH - 8,
        "top": MARGIN_TOP,
        "base": MARGIN_TOP + plot_height,
        "label_y": MARGIN_TOP + plot_height + 16,
    }


def describe(step, buckets):
    """The chart's text alternative in one sentence."""
    if not buckets:
        return "Inga svar under perioden."
    yes = sum(b.yes for b in buckets)
    no = sum(b.no for b in buckets)
    return (
        f"{yes + no} svar per {step} från {buckets[0].label} till {buckets[-1].label}: "
        f"{yes} Ja och {no} Nej. Flest svar, {max(b.answers for b in buckets)}, "
        f"kom {max(buckets, key=lambda b: b.answers).label}."
    )


def render_chart(queryset, chart_id="sidrespons-diagram"):
    """The chart of `queryset`'s answers as HTML (SVG and its table)."""
    step, buckets = answers_over_time(queryset)
    return render_to_string(
        "feedback/chart.html",
        {
            "chart_id": chart_id,
            "step": step,
            "buckets": buckets,
            "description": describe(step, buckets),
            **layout(buckets),
        },
    )
