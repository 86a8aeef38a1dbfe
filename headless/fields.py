"""The page fields the API adds to what the content declares: the feedback
token, which the content cannot make itself (the domain apps do not import
each other)."""

from pydantic import RootModel
from rest_framework.fields import Field as SerializerField
from wagtail.api import APIField
from wagtail.models import get_page_models

from feedback.tokens import form_token


class FeedbackToken(RootModel[str]):
    """The token to send with `POST /api/v3/feedback/` for this page: signed
    and time-stamped, valid for a week, not single-use. In a cached response
    it can be old: fetch a fresh one at `GET /api/v3/feedback/token/?page=…`
    when the visitor starts to answer."""


class FeedbackTokenField(SerializerField):
    """The signed, time-stamped token that `POST /api/v3/feedback/` takes for
    this page. Not single-use and shared by every reader of a cached response;
    its age tells a person from a bot."""

    def __init__(self, **kwargs):
        super().__init__(source="pk", **kwargs)

    # A class of its own, so that the document carries its description
    # (Wagtail reads this annotation for the field's schema).
    def to_representation(self, value) -> FeedbackToken:
        return form_token(value)


def add_feedback_token():
    """Add `feedback_token` to every page type that is in the API (declares
    api_fields). Runs from `ready()`, before the API builds its schemas."""
    for model in get_page_models():
        fields = list(getattr(model, "api_fields", None) or [])
        if fields and not any(field.name == "feedback_token" for field in fields):
            model.api_fields = [
                *fields,
                APIField("feedback_token", serializer=FeedbackTokenField()),
            ]
