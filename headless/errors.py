"""Errors of the API as problem details (RFC 9457), Swedish for whoever reads
them, the same shape for every operation and status; documented on every
operation (Wagtail 8.0.1's document leaves most of them out)."""

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ValidationError as PydanticValidationError
from wagtail.api.v3.errors import ProblemDetail, problem_response, register_exception_handlers
from wagtail.utils.forms import FormValidationError

# What every operation may answer besides its own success, and why.
ERROR_RESPONSES = {
    400: "Ogiltig förfrågan: en okänd parameter, ett värde som dokumentet inte tillåter, "
    "eller ett innehåll som inte är JSON (trasigt, inte UTF-8, för djupt nästlat).",
    401: "Inloggning krävs: en giltig API-token (Authorization: Bearer …).",
    403: "Förbjudet: token saknar behörighet, eller anropet kom från ett otillåtet ursprung.",
    404: "Finns inte, eller är inte publicerat och offentligt.",
    413: "Förfrågans innehåll är för stort.",
    422: "Innehållet uppfyller inte schemat; `errors` säger vilka fält.",
    429: "För många anrop; försök igen efter `Retry-After` sekunder.",
    503: "Databasen svarar inte just nu; inget har sparats. Försök igen efter "
    "`Retry-After` sekunder.",
}

MESSAGES = {
    "missing": "Fältet måste fyllas i.",
    "extra_forbidden": "Fältet är okänt.",
    "int_type": "Ange ett heltal (inte en text).",
    "int_parsing": "Ange ett heltal.",
    "string_type": "Ange en text.",
    "bool_type": "Ange true eller false.",
    "bool_parsing": "Ange true eller false.",
    "literal_error": "Värdet är inte ett av de tillåtna.",
    "enum": "Värdet är inte ett av de tillåtna.",
    "string_too_long": "Texten är för lång.",
    "greater_than_equal": "Värdet är för litet.",
    "less_than_equal": "Värdet är för stort.",
    "json_invalid": "Innehållet är inte giltig JSON.",
    "model_attributes_type": "Innehållet ska vara ett JSON-objekt.",
    "dict_type": "Innehållet ska vara ett JSON-objekt.",
}


# What Wagtail's pages listing refuses, by its English message.
WAGTAIL_MESSAGES = (
    (
        re.compile(r"filtering by descendant_of with child_of is not supported"),
        "child_of och descendant_of kan inte användas tillsammans.",
    ),
    (
        re.compile(r"random ordering with offset is not supported"),
        "order=random kan inte kombineras med offset.",
    ),
    (
        re.compile(r"random ordering cannot be combined with other fields"),
        "order=random kan inte kombineras med andra fält.",
    ),
    (
        re.compile(r"invalid fields for model \w+: (.*)\.$"),
        "Det går inte att sortera på {0}.",
    ),
    (
        re.compile(r"Cannot order by '(.*)' while searching"),
        "Det går inte att sortera på {0} tillsammans med search.",
    ),
    (
        re.compile(r"No \w+ matches the given (\w+) value"),
        "Sidan som {0} pekar på finns inte, eller är inte publicerad och offentlig.",
    ),
)


def message_for(kind, english):
    for pattern, message in WAGTAIL_MESSAGES:
        if match := pattern.search(english):
            return message.format(*match.groups())
    return MESSAGES.get(kind, "Ogiltigt värde.")


def swedish(errors):
    """Pydantic's errors with a Swedish `msg` (its own kept as `detail`),
    without the input that was sent (it may hold a visitor's text)."""
    translated = []
    for error in errors:
        kind = error.get("type", "")
        translated.append(
            {
                "type": kind,
                "loc": list(error.get("loc", [])),
                "msg": message_for(kind, str(error.get("msg", ""))),
                "detail": error.get("msg", ""),
            }
        )
    return translated


NOT_FOUND = "Finns inte, eller är inte publicerat och offentligt."
DATABASE_AWAY = (
    "Tjänsten kan inte nås just nu eftersom databasen inte svarar. Inget av det du "
    "skickade har sparats; försök igen om en stund."
)
OUT_OF_RANGE = "Ett värde går inte att använda: databasen kan inte lagra eller söka på det."
TOO_LARGE = "Förfrågans innehåll är för stort."
LOGIN_NEEDED = "Inloggning krävs: en giltig API-token (Authorization: Bearer …)."

# The English that Wagtail's v3 and django-ninja answer with, in Swedish.
ENGLISH = {
    "Unauthorized": LOGIN_NEEDED,
    "Authentication required": LOGIN_NEEDED,
    "Forbidden": "Förbjudet.",
    "Permission denied": "Din token saknar behörighet för det här.",
    "Cannot parse request body": "Innehållet gick inte att läsa.",
    "Not found": NOT_FOUND,
    "Too many requests.": "För många anrop; försök igen senare.",
}
LIMIT_TOO_HIGH = re.compile(r"^limit cannot be higher than (\d+)$")


def in_swedish(message, status):
    """Our own messages are Swedish already; Wagtail's and ninja's are not."""
    message = str(message or "")
    if message in ENGLISH:
        return ENGLISH[message]
    if match := LIMIT_TOO_HIGH.match(message):
        return f"limit får vara högst {match[1]}."
    if status == 404 and (not message or message.startswith("No ")):
        return NOT_FOUND  # Django's "No Page matches the given query."
    return message


def register(api):
    """Wagtail's handlers (problem details for 401, 403, 404 and its own
    validation), then Swedish messages where Wagtail's and ninja's are
    English."""
    register_exception_handlers(api)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return problem_response(status=404, detail=in_swedish(exc, 404))

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        response = problem_response(status=exc.status_code, detail=in_swedish(exc, exc.status_code))
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(int(exc.wait))
        return response

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, exc):
        # As Wagtail's: v3 trusts only bearer tokens, so 401 without one.
        if not request.user.is_authenticated:
            return problem_response(status=401, detail=LOGIN_NEEDED)
        return problem_response(status=403, detail=in_swedish(exc, 403) or ENGLISH["Forbidden"])

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def database_away(request, exc):
        # PostgreSQL stopped or unreachable, a lost connection: the client
        # may send the same again later; the transaction took nothing.
        response = problem_response(status=503, detail=DATABASE_AWAY)
        response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER_SECONDS)
        return response

    @api.exception_handler(DataError)
    def out_of_range(request, exc):
        # A value the database refuses (a NUL in a text, a time zone offset
        # beyond its range): the request's fault, never the server's.
        return problem_response(status=400, detail=OUT_OF_RANGE)

    @api.exception_handler(NinjaValidationError)
    @api.exception_handler(PydanticValidationError)
    def validation_error(request, exc):
        errors = exc.errors if isinstance(exc, NinjaValidationError) else exc.errors()
        return problem_response(
            status=422, detail="Förfrågan uppfyller inte schemat.", errors=swedish(errors)
        )

    @api.exception_handler(DjangoValidationError)
    def form_error(request, exc):
        # Wagtail's page forms, as Wagtail's handler has them: the messages are
        # Swedish already (Django's translations), its summary is not.
        if isinstance(exc, FormValidationError):
            errors = [
                {"type": code, "loc": list(path), "msg": message}
                for path, coded_messages in exc.loc_errors
                for message, code in coded_messages
            ]
        else:
            errors = [{"msg": message} for message in exc.messages]
        return problem_response(
            status=422, detail="Det gick inte att spara; `errors` säger varför.", errors=errors
        )


def anonymous_as_openapi_says(schema):
    """Wagtail's `AllowAnonymous` comes out as a security scheme of type
    "http" without a `scheme`, which makes the document invalid. OpenAPI's
    way to say "no credentials needed" is an empty requirement, `{}`."""
    schemes = schema.get("components", {}).get("securitySchemes", {})
    anonymous = [name for name, scheme in schemes.items() if "scheme" not in scheme]
    for name in anonymous:
        del schemes[name]
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if "security" in operation:
                operation["security"] = [
                    {} if set(requirement) & set(anonymous) else requirement
                    for requirement in operation["security"]
                ]
    return schema


def document_errors(schema):
    """Every operation's error responses in the OpenAPI document, as problem
    details."""
    schema.setdefault("components", {}).setdefault("schemas", {})
    schema["components"]["schemas"]["ProblemDetail"] = ProblemDetail.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    problem = {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}
    }
    for path in schema.get("paths", {}).values():
        for method, operation in path.items():
            # Ninja keys them by int; JSON by string: one key per status.
            responses = {str(k): v for k, v in operation.get("responses", {}).items()}
            operation["responses"] = responses
            for status, description in ERROR_RESPONSES.items():
                responses.setdefault(str(status), {"description": description, "content": problem})
            if method == "get":
                # The page cache answers a conditional GET (pagecache/).
                responses.setdefault(
                    "304",
                    {"description": "Oförändrat sedan `If-None-Match` eller `If-Modified-Since`."},
                )
            if operation.get("operationId") == "pages_find":
                responses.setdefault(
                    "302",
                    {
                        "description": "Sidan finns: `Location` leder till dess detalj.",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                    },
                )
            for status in ("429", "503"):
                if status in responses:
                    responses[status]["headers"] = {
                        "Retry-After": {
                            "description": "Sekunder att vänta.",
                            "schema": {"type": "integer"},
                        }
                    }
    return schema
