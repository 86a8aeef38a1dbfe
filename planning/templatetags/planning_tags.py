from django import template
from django.utils.html import format_html

from planning.times import in_stockholm, swedish_and_utc

register = template.Library()


@register.filter
def swedish_time(when):
    """A `<time>` with the exact instant, written out in Swedish time with
    its zone and the UTC time beside it: readable without hovering."""
    if not when:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        when.isoformat().replace("+00:00", "Z"),
        swedish_and_utc(when),
    )


@register.filter
def stockholm(when):
    return in_stockholm(when) if when else when
