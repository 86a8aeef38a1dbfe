"""Times as the admin shows them: Swedish time, named CET or CEST, with the
UTC time beside it, so that no one has to work out the offset."""

from datetime import UTC
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def in_stockholm(when):
    return when.astimezone(STOCKHOLM)


def zone_name(when):
    """ "CET" or "CEST" (zoneinfo's own abbreviations for Stockholm)."""
    return in_stockholm(when).tzname()


def swedish_and_utc(when):
    """ "2027-03-28 10:00 CEST (08:00 UTC)"; the date of UTC too when it differs."""
    local = in_stockholm(when)
    utc = when.astimezone(UTC)
    utc_text = utc.strftime("%H:%M" if utc.date() == local.date() else "%Y-%m-%d %H:%M")
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({utc_text} UTC)"
