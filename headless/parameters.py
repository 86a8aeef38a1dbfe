"""The query parameters of the API's reads: the one rule that refuses what
the OpenAPI document (declared.py) does not allow them.

The document is the rule: `declared.document_parameters` says what the
operations take, and `refusal` answers a 400 before the operation for:

- a parameter the operation does not declare. Wagtail skips them silently
  (its field filters are built with `skip_invalid=True`): `?titel=Vänorter`,
  a typo, would list every page as if it were a filter. Known on the pages
  listing are also the fields it can filter by: the base page fields and the
  database fields among the page type's `api_fields` (with `?type=` one type,
  else the base page's);
- a value outside a declared integer's bounds, or not an integer where only
  an integer is declared (the database's answer would be a 500);
- a text outside its declared pattern (a NUL, which PostgreSQL refuses; a
  `site` port that is not a number).

Enumerations and booleans are the operation's to refuse (a 422, declared
too).
"""

import functools
import re

from django.core.exceptions import FieldDoesNotExist
from wagtail.api import APIField
from wagtail.api.v3.schemas.pages import BASE_PAGE_READ_FIELDS
from wagtail.coreutils import resolve_model_string
from wagtail.models import Page

from .declared import DATE_TIME, SITE, integer_branches, string_branches

PATTERN_MESSAGES = {
    SITE: "{name} ska vara ett värdnamn, eventuellt med :port (ett nummer).",
    DATE_TIME: "{name}: tidszonen får avvika högst 15:59 från UTC.",
}


@functools.cache
def reads():
    """[(path pattern, operation id, {name: schema})] of the document's GET
    operations, literal paths before those with path parameters."""
    from .api import api

    found = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        operation = operations.get("get")
        if not operation:
            continue
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
        declared = {
            p["name"]: p.get("schema", {})
            for p in operation.get("parameters", [])
            if p["in"] == "query"
        }
        operation_id = operation["operationId"]
        found.append((path.count("{"), re.compile(f"^{pattern}$"), operation_id, declared))
    return [entry[1:] for entry in sorted(found, key=lambda entry: entry[0])]


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


def _operation(path):
    for pattern, operation_id, parameters in reads():
        if pattern.match(path):
            return operation_id, parameters
    return None, {}


def unknown_parameters(request):
    """The parameters of a GET to one of the document's reads that it does not
    declare (and would ignore), sorted; empty for any other request."""
    operation_id, parameters = _operation(request.path_info)
    if operation_id is None:
        return []
    known = set(parameters)
    if operation_id == "pages_list":
        known |= filterable_fields(request.GET.get("type"))
    return sorted(set(request.GET) - known)


def _integer(value):
    text = value.strip()
    # isascii: "²" is a digit to isdigit() and not to int().
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()):
        return None
    return int(text)


def _value_refusal(name, schema, value):
    """Why a declared parameter's value is refused here, or None."""
    integers = integer_branches(schema)
    branches = schema.get("anyOf", [schema])
    others = [b for b in branches if b.get("type") not in ("integer", "null")]
    if integers:
        number = _integer(value)
        if number is None and not others:
            return f"{name} ska vara ett heltal."
        if number is not None:
            bound = integers[0]
            if "maximum" in bound and number > bound["maximum"]:
                return f"{name} får vara högst {bound['maximum']}."
    for branch in string_branches(schema):
        pattern = branch.get("pattern")
        if pattern and not re.search(pattern, value):
            message = PATTERN_MESSAGES.get(pattern, "Parametern {name} har ett otillåtet värde.")
            return message.format(name=name)
    return None


def refusal(request):
    """The Swedish reason a GET's query is refused (see above), or None."""
    broken = sorted(
        name for name, values in request.GET.lists() if "\x00" in name + "".join(values)
    )
    if broken:
        # PostgreSQL refuses a NUL in a text, on any path: a 500, were it let through.
        return f"Parametern {broken[0]} innehåller otillåtna tecken."
    unknown = unknown_parameters(request)
    if unknown:
        return f"Okänd parameter: {', '.join(unknown)}."
    _, parameters = _operation(request.path_info)
    for name, schema in parameters.items():
        for value in request.GET.getlist(name):
            reason = _value_refusal(name, schema, value)
            if reason:
                return reason
    return None
