"""`{% feedback_widget page %}`: the feedback widget on any page type."""

from django import template

from .. import tokens
from ..forms import FeedbackForm
from ..models import FeedbackSettings

register = template.Library()


@register.inclusion_tag("feedback/widget.html", takes_context=True)
def feedback_widget(context, page):
    request = context.get("request")
    # A form the server refused comes back bound, with its errors and every
    # field as the visitor sent it.
    form = context.get("feedback_form") or FeedbackForm(
        initial={"token": tokens.form_token(page.pk)}
    )
    site_settings = FeedbackSettings.for_request(request) if request else None
    return {
        "page": page,
        "form": form,
        "errors": form.error_summary() if form.is_bound else [],
        "thanked": bool(request and request.GET.get("tack") == "1" and not form.is_bound),
        "services_feedback_url": site_settings.services_feedback_url if site_settings else "",
    }
