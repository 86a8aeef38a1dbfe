"""What an API token may be used for: its scopes, and the one table that says
which scope each operation needs. The middleware that enforces it
(tokens.py), the reads that keep their token (middleware.py) and the OpenAPI
document (api.py) all read this table, so that they cannot disagree."""

import re

SCHEDULE = "schedule"
PAGES = "pages"
DRAFTS = "drafts"

SCOPE_CHOICES = [
    (SCHEDULE, "schedule – läsa och ändra när sidor och kontakter publiceras och avpubliceras"),
    (PAGES, "pages – skapa, ändra, publicera, flytta, kopiera och ta bort sidor"),
    (DRAFTS, "drafts – läsa sidors versioner, utkast inräknade"),
]
SCOPES = [name for name, _label in SCOPE_CHOICES]

ANY_METHOD = None
READS = frozenset({"GET", "HEAD"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# (methods, path, scope): the first rule that matches decides. A request no
# rule names needs no scope (a feedback post); a GET that no rule names is a
# public read and drops its token (middleware.py).
RULES = [
    (ANY_METHOD, re.compile(r"^/api/v3/(schedule|releases)/"), SCHEDULE),
    # Any id, not only digits: a router that takes "+1" or "1_0" as a page
    # id (int() does) must not turn a draft read into a public one.
    (READS, re.compile(r"^/api/v3/pages/[^/]+/revisions/"), DRAFTS),
    # Wagtail's writes and actions: create, update, delete, publish,
    # unpublish, move, copy, revert, aliases, translations.
    (WRITES, re.compile(r"^/api/v3/pages/"), PAGES),
]


def required_scope(method, path):
    """The scope a token needs for this operation, or None."""
    for methods, pattern, scope in RULES:
        if (methods is ANY_METHOD or method in methods) and pattern.match(path):
            return scope
    return None


TEMPLATE_PARAMETER = re.compile(r"\{[^}]+\}")

SCOPE_DESCRIPTION = (
    "Kräver en API-token med behörigheten `{scope}` (Authorization: Bearer …); en token "
    "utan den får 403 även där dess användare får, en token som har gått ut 401."
)
RESPONSE_401 = "Token saknas, är okänd, återkallad eller har gått ut."
RESPONSE_403 = (
    "Token saknar behörigheten `{scope}`, eller dess användare får inte göra detta med innehållet."
)


def document_scopes(schema, scheme="BearerTokenAuth"):
    """Each operation's scope in the document: as the roles of its bearer
    requirement (OpenAPI 3.1 allows roles for any security scheme), in its
    description, and in what its 401 and 403 mean."""
    for path, operations in schema.get("paths", {}).items():
        # A template's parameters as a value the table's patterns take.
        concrete = TEMPLATE_PARAMETER.sub("1", path)
        for method, operation in operations.items():
            scope = required_scope(method.upper(), concrete)
            if scope is None:
                continue
            operation["security"] = [{scheme: [scope]}]
            sentence = SCOPE_DESCRIPTION.format(scope=scope)
            description = operation.get("description", "").strip()
            operation["description"] = f"{description}\n\n{sentence}" if description else sentence
            responses = operation.setdefault("responses", {})
            for status, text in ((401, RESPONSE_401), (403, RESPONSE_403)):
                problem = responses.get(str(status)) or responses.get(status) or {}
                responses.pop(status, None)
                responses[str(status)] = {**problem, "description": text.format(scope=scope)}
    scheme_object = schema.get("components", {}).get("securitySchemes", {}).get(scheme)
    if scheme_object is not None:
        scheme_object["description"] = (
            "En API-token från en administratör (Inställningar → API-tokens, eller "
            "`manage.py create_api_token`). Varje token har en eller flera behörigheter "
            "(`schedule`, `pages`, `drafts`) och går ut vid en bestämd tidpunkt; vilken "
            "behörighet en operation kräver står i dess `security`. Publicerat innehåll "
            "läses utan token."
        )
    return schema
