"""How the API reads a JSON body: one rule for every operation that takes
one (feedback, the schedule, Wagtail's page writes and actions), used by
the API's parser and by the middleware's check before it.

A body the rule cannot read is refused with a Swedish reason, never passed
on: Python's json module answers a deeply nested body with RecursionError
(not ValueError), accepts NaN and Infinity, guesses UTF-16 and UTF-32, and
gives strings with lone surrogates that no database can store.
"""

import json

from ninja.parser import Parser

# Wagtail's deepest body (a stream of structs of lists) nests a dozen levels;
# far below the depth at which the parser, pydantic or a template recurse.
MAX_DEPTH = 64

NOT_UTF8 = "Innehållet ska vara JSON i UTF-8."
NOT_JSON = "Innehållet är inte giltig JSON."
TOO_DEEP = f"Innehållet är för djupt nästlat (högst {MAX_DEPTH} nivåer)."
NOT_A_NUMBER = "Innehållet innehåller NaN eller Infinity, som inte är JSON."
BROKEN_TEXT = "Innehållet innehåller tecken som inte är giltig Unicode."


class UnreadableBody(ValueError):
    """A body that is not JSON this API reads; `str()` says why, in Swedish."""


def _refuse_constant(name):
    raise UnreadableBody(NOT_A_NUMBER)


def _check(value):
    """Depth and text of a parsed value, without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate, "\ud800"
                raise UnreadableBody(BROKEN_TEXT) from None
            continue
        else:
            continue
        if depth > MAX_DEPTH:
            raise UnreadableBody(TOO_DEEP)
        stack.extend((child, depth + 1) for child in children)


def read_json(raw):
    """The value of a JSON body (bytes), or UnreadableBody."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableBody(NOT_UTF8) from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise UnreadableBody(TOO_DEEP) from None
    except UnreadableBody:
        raise
    except ValueError:  # JSONDecodeError, a number of more than 4,300 digits
        raise UnreadableBody(NOT_JSON) from None
    _check(value)
    return value


def json_body(request):
    """The request's body, read by the rule above once per request."""
    if not hasattr(request, "_headless_json"):
        request._headless_json = read_json(request.body)
    return request._headless_json


class BodyParser(Parser):
    """django-ninja's parser, reading bodies by the rule above. Ninja turns
    whatever this raises into a 400; the middleware has refused these
    bodies before, with the reason."""

    def parse_body(self, request):
        return json_body(request)
