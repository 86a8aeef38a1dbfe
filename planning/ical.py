"""The scheduled changes as an iCalendar feed (RFC 5545), for an editor's
calendar program: one event per change, at its instant in UTC."""

from datetime import UTC, timedelta

from django.utils import timezone

from .times import swedish_and_utc

EVENT_LENGTH = timedelta(minutes=15)
PRODID = "-//Lidköpings kommun//Schemalagt//SV"


def summary(row):
    text = f"{row.action_label}: {row.title} ({row.what_label})"
    return f"MISSLYCKADES – {text}" if row.needs_attention else text


def description(row, base_url):
    lines = [f"{row.action_label} {swedish_and_utc(row.when)}."]
    if row.scheduled_by is not None:
        by = row.scheduled_by.get_full_name() or row.scheduled_by.get_username()
        lines.append(f"Schemalagd av {by}.")
    if row.failure_reason:
        lines.append(f"Fel: {row.failure_reason}")
    if row.edit_url:
        lines.append(f"Redigera: {base_url}{row.edit_url}")
    if row.compare_url:
        lines.append(f"Ändringarna: {base_url}{row.compare_url}")
    return "\n".join(lines)


def calendar(rows, base_url, name="Schemalagt"):
    """The feed's bytes."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = timezone.now().astimezone(UTC)
    for row in rows:
        event = Event()
        event.add("uid", f"{row.key}@schemalagt")
        event.add("dtstamp", stamp)
        event.add("dtstart", row.when.astimezone(UTC))
        event.add("dtend", row.when.astimezone(UTC) + EVENT_LENGTH)
        event.add("summary", summary(row))
        event.add("description", description(row, base_url))
        if row.edit_url:
            event.add("url", f"{base_url}{row.edit_url}")
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
