"""Query parameters a read operation does not declare are a 400: this
project's own and Wagtail's v3 pages operations alike.

Wagtail skips them silently (its field filters are built with
`skip_invalid=True`): `?titel=Vänorter`, a typo, would list every page as
if it were a filter. Known are the operation's own parameters, as the
OpenAPI document declares them, and on the listing the fields it can filter
by: the base page fields and the database fields among the page type's
`api_fields` (with `?type=` one type, else the base page's).
"""

import functools
import re

from django.core.exceptions import FieldDoesNotExist
from wagtail.api import APIField
from wagtail.api.v3.schemas.pages import BASE_PAGE_READ_FIELDS
from wagtail.coreutils import resolve_model_string
from wagtail.models import Page

OPERATIONS = (
    (re.compile(r"^/api/v3/contacts/$"), "contacts_list"),
    (re.compile(r"^/api/v3/twin-towns/$"), "twin_towns_list"),
    (re.compile(r"^/api/v3/feedback/token/$"), "feedback_token"),
    (re.compile(r"^/api/v3/pages/$"), "pages_list"),
    (re.compile(r"^/api/v3/pages/find/$"), "pages_find"),
    (re.compile(r"^/api/v3/pages/\d+/$"), "pages_detail"),
)


@functools.cache
def declared(operation_id):
    from .api import api

    for path in api.get_openapi_schema()["paths"].values():
        for operation in path.values():
            if operation.get("operationId") == operation_id:
                return frozenset(
                    p["name"] for p in operation.get("parameters", []) if p["in"] == "query"
                )
    return frozenset()


def filterable_fields(type_param):
    model = Page
    types = [t for t in (type_param or "").split(",") if t]
    if len(types) == 1:
        try:
            model = resolve_model_string(types[0])
        except (LookupError, ValueError):
            return set(BASE_PAGE_READ_FIELDS)  # Wagtail refuses the type itself
    fields = set(BASE_PAGE_READ_FIELDS)
    for field in APIField.get_fields_for_model(model):
        try:
            model._meta.get_field(field.name)
        except FieldDoesNotExist:
            continue
        fields.add(field.name)
    return fields


def unknown_parameters(request):
    """The parameters of a GET to one of the reads above that it does not
    declare (and would ignore), sorted; empty for any other request."""
    for pattern, operation_id in OPERATIONS:
        if pattern.match(request.path):
            known = set(declared(operation_id))
            if operation_id == "pages_list":
                known |= filterable_fields(request.GET.get("type"))
            return sorted(set(request.GET) - known)
    return []
