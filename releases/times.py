"""A release's instant as editors read it: Swedish time, with its zone
(CET or CEST, which the instant decides, not today's date), and the UTC time
beside it, so that nobody has to guess across a daylight-saving night."""

from datetime import UTC
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")

MONTHS = (
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
)


def swedish_time(moment):
    """ "7 december 2026 kl. 14.00 CET", or "" for no time."""
    if moment is None:
        return ""
    local = moment.astimezone(STOCKHOLM)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} kl. {local:%H.%M} {local.tzname()}"


def utc_time(moment):
    """ "13.00 UTC" (with the date when it differs from the Swedish one)."""
    if moment is None:
        return ""
    local = moment.astimezone(STOCKHOLM)
    utc = moment.astimezone(UTC)
    if utc.date() != local.date():
        return f"{utc.day} {MONTHS[utc.month - 1]} kl. {utc:%H.%M} UTC"
    return f"{utc:%H.%M} UTC"


def both(moment):
    """ "7 december 2026 kl. 14.00 CET (13.00 UTC)"."""
    if moment is None:
        return ""
    return f"{swedish_time(moment)} ({utc_time(moment)})"
