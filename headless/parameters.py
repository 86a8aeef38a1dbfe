"""The query parameters of the API's reads: what the OpenAPI document
declares of them, and the one rule that refuses what it does not allow.

The document is the rule. Wagtail's v3 declares less than it refuses (no
maximum for `limit`, any text for `order` or `site`, a `user_id` that may be
text); `document_parameters` says what the operations take, and
`refusal` answers a 400 before the operation for:

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
too). What OpenAPI cannot say, parameters that do not go together, the
parameters' descriptions and the operation's 422 say in words.
"""

import functools
import re

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from wagtail.api import APIField
from wagtail.api.v3.schemas.pages import BASE_PAGE_READ_FIELDS
from wagtail.api.validators import OrderingValidator
from wagtail.coreutils import resolve_model_string
from wagtail.models import Page, get_page_models

# Within PostgreSQL's bigint and SQLite's integer, with room for offset + limit.
LARGEST_COUNT = 2**62
# PostgreSQL stores no NUL in a text; JSON Schema's (ECMA-262) and Python's
# regular expressions read this the same way.
NO_NUL = "^[^\\u0000]*$"
# A hostname, or hostname:port (Wagtail looks the port up as a number).
SITE = "^[^:\\u0000]*(:[0-9]{1,9})?$"
# PostgreSQL takes a time zone offset up to ±15:59.
DATE_TIME = "^(?!.*[+-](1[6-9]|[2-9][0-9]):?[0-9]{2}$)[^\\u0000]*$"

PATTERN_MESSAGES = {
    SITE: "{name} ska vara ett värdnamn, eventuellt med :port (ett nummer).",
    DATE_TIME: "{name}: tidszonen får avvika högst 15:59 från UTC.",
}
NOT_TOGETHER = {
    "child_of": "Kan inte kombineras med `descendant_of` (svaret blir 422).",
    "descendant_of": "Kan inte kombineras med `child_of` (svaret blir 422).",
}
PAGES_LIST_REFUSALS = (
    "Parametrarna går inte ihop, eller pekar på något som inte finns: `child_of` med "
    "`descendant_of`; `order=random` med `offset` eller med andra fält; `search` med "
    "`order` på ett fält som inte går att söka på; `order` på ett fält som sidtypen i "
    "`type` saknar; en sida i `ancestor_of`, `child_of`, `descendant_of` eller "
    "`translation_of` som inte finns eller inte är publicerad. `errors` säger vilken."
)


def orderings():
    """What `order` takes for every page type: the fields Wagtail orders any
    listing by, ascending and descending ("-title")."""
    common = None
    for model in (Page, *get_page_models()):
        allowed = OrderingValidator(
            model=model, fields=[], base_fields=list(BASE_PAGE_READ_FIELDS), db_fields_only=True
        ).allowed_fields
        common = allowed if common is None else common & allowed
    return sorted(common - {"random"})


def _string_branches(schema):
    """The schemas of the text values a parameter's schema allows."""
    branches = schema.get("anyOf", [schema])
    for branch in branches:
        if branch.get("type") == "array":
            yield from _string_branches(branch.get("items", {}))
        elif branch.get("type") == "string" and "const" not in branch and "enum" not in branch:
            yield branch


def _integer_branches(schema):
    return [b for b in schema.get("anyOf", [schema]) if b.get("type") == "integer"]


def _document_parameter(operation_id, parameter):
    name, schema = parameter["name"], parameter.setdefault("schema", {})
    if name == "limit":
        schema["maximum"] = settings.WAGTAILAPI_LIMIT_MAX
    if name == "offset":
        schema["maximum"] = LARGEST_COUNT
    if name == "user_id":
        # A user's id is a number; Wagtail's `int | str` gives text to the
        # database, which answers a 500.
        schema["anyOf"] = [{"type": "integer"}, {"type": "null"}]
    if name == "order" and operation_id == "pages_list":
        for branch in schema.get("anyOf", []):
            if branch.get("type") == "array":
                branch["items"] = {"type": "string", "enum": orderings()}
        parameter["description"] = (
            "Fält att sortera på, `-` före för fallande, eller `random`. Med `type` går "
            "även sidtypens egna fält; med `search` bara fält som går att söka på "
            "(`title`, `first_published_at`, `show_in_menus`); `random` ensam och utan "
            "`offset`."
        )
    if name in NOT_TOGETHER and operation_id == "pages_list":
        parameter["description"] = NOT_TOGETHER[name]
    for branch in _string_branches(schema):
        if name == "site":
            branch["pattern"] = SITE
        elif branch.get("format") == "date-time":
            branch["pattern"] = DATE_TIME
        else:
            branch.setdefault("pattern", NO_NUL)


def document_parameters(schema):
    """The document's parameters as the operations take them (see above)."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            operation_id = operation.get("operationId", "")
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _document_parameter(operation_id, parameter)
            if operation_id == "pages_list":
                operation["responses"]["422"] = {
                    **operation["responses"].get("422", {}),
                    "description": PAGES_LIST_REFUSALS,
                }
    return schema


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


def declared(operation_id):
    for _, found_id, parameters in reads():
        if found_id == operation_id:
            return frozenset(parameters)
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


def _operation(path):
    for pattern, operation_id, parameters in reads():
        if pattern.match(path):
            return operation_id, parameters
    return None, {}


def unknown_parameters(request):
    """The parameters of a GET to one of the document's reads that it does not
    declare (and would ignore), sorted; empty for any other request."""
    operation_id, parameters = _operation(request.path)
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
    integers = _integer_branches(schema)
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
    for branch in _string_branches(schema):
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
    _, parameters = _operation(request.path)
    for name, schema in parameters.items():
        for value in request.GET.getlist(name):
            reason = _value_refusal(name, schema, value)
            if reason:
                return reason
    return None
