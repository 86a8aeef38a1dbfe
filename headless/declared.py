"""What the OpenAPI document declares of the query parameters: what the
operations take, where Wagtail's v3 declares less than it refuses (no
maximum for `limit`, any text for `order` or `site`, a `user_id` that may
be text). `parameters.refusal` refuses by it: the document is the rule.

What OpenAPI cannot say, parameters that do not go together, the
parameters' descriptions and the listing's 422 say in words."""

from django.conf import settings
from wagtail.api.v3.schemas.pages import BASE_PAGE_READ_FIELDS
from wagtail.api.validators import OrderingValidator
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


def string_branches(schema):
    """The schemas of the text values a parameter's schema allows."""
    branches = schema.get("anyOf", [schema])
    for branch in branches:
        if branch.get("type") == "array":
            yield from string_branches(branch.get("items", {}))
        elif branch.get("type") == "string" and "const" not in branch and "enum" not in branch:
            yield branch


def integer_branches(schema):
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
    if name == "version":
        # Reads are public (middleware.py drops their tokens), so Wagtail's
        # `draft` has no one to show a draft to.
        parameter["description"] = (
            "Alltid den publicerade versionen: `draft` besvaras som `live`. Utkast läses "
            "med `/api/v3/pages/{page_id}/revisions/` och en token med behörigheten `drafts`."
        )
    if name in NOT_TOGETHER and operation_id == "pages_list":
        parameter["description"] = NOT_TOGETHER[name]
    for branch in string_branches(schema):
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
