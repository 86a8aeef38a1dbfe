"""The document tells the truth: every request generated from
/api/v3/openapi.json (its parameters' and bodies' JSON Schemas, by
hypothesis-jsonschema) is accepted, and every refusal is one it declares;
feedback only for a live, public page that has an address.

What OpenAPI cannot say, parameters that do not go together, the document
says in the parameters' descriptions and the listing's 422; the generator
here leaves out exactly those combinations (`declared_conflict`)."""

import json

import jsonschema
import pytest
from django.test import override_settings
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis_jsonschema import from_schema
from openapi_spec_validator import validate
from wagtail.models import Page

from feedback.models import Feedback
from headless.api import api
from tests.builders import make_contact, make_page, twin_town
from tests.feedback.conftest import aged_token, limiter_redis  # noqa: F401

DOCUMENT = api.get_openapi_schema()
ANONYMOUS_READS = [
    (path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if method == "get" and {} in operation.get("security", [{}])
]
# What the document says a listing may answer for values it allows: a page
# that a filter names does not exist (its 422), nothing found (404).
REFERENCE_MISSING = "pekar på finns inte"
SEARCHABLE_ORDERINGS = {"title", "first_published_at", "show_in_menus"}

EXAMPLES = hypothesis_settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def resolved(schema):
    """`schema` with the document's $refs replaced by what they name."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            return resolved(DOCUMENT["components"]["schemas"][name])
        return {key: resolved(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [resolved(item) for item in schema]
    return schema


def objects(schema):
    """An object schema's values: its required properties and any of the
    others, each from its own schema. (hypothesis-jsonschema 0.23.1's own
    object strategy uses a hypothesis internal that 6.170 no longer has.)"""
    required = set(schema.get("required", []))
    properties = {name: from_schema(value) for name, value in schema["properties"].items()}
    return st.fixed_dictionaries(
        {name: value for name, value in properties.items() if name in required},
        optional={name: value for name, value in properties.items() if name not in required},
    )


def query_values(operation):
    """A strategy of query parameters as the document declares them: each
    optional one given or not, every value from its schema."""
    optional, required = {}, {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query":
            target = required if parameter.get("required") else optional
            target[parameter["name"]] = from_schema(resolved(parameter["schema"]))
    return st.fixed_dictionaries(required, optional=optional)


def as_query(values):
    """Form style, exploded, as OpenAPI's default for query parameters."""
    query = []
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if isinstance(item, bool):
                item = "true" if item else "false"
            query.append((name, str(item)))
    return query


def declared_conflict(values):
    """The combinations the pages listing's description and 422 name."""
    order = values.get("order")
    orders = [order] if isinstance(order, str) else list(order or [])
    if values.get("child_of") is not None and values.get("descendant_of") is not None:
        return True
    if "random" in orders and (values.get("offset") or len(orders) > 1):
        return True
    if values.get("search") is not None and any(
        o.lstrip("-") not in SEARCHABLE_ORDERINGS for o in orders
    ):
        return True
    return False


def declared_statuses(operation):
    return {int(status) for status in operation["responses"]}


class TestEveryAllowedRequestIsTaken(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.page = make_page(title="Vänorter", body=[twin_town(city="Kecskemét")])
        cls.contact = make_contact()

    def check_read(self, path, operation, values):
        ids = {"page_id": self.page.pk, "contact_id": self.contact.pk}
        response = self.client.get(path.format(**ids), as_query(values))
        status = response.status_code
        assert status in declared_statuses(operation), (path, values, status)
        assert status < 500, (path, values)
        if status == 422:
            problem = response.json()
            assert all(REFERENCE_MISSING in error["msg"] for error in problem["errors"]), (
                path,
                values,
                problem,
            )
        else:
            assert status in (200, 302, 404), (path, values, status, response.content[:300])

    @EXAMPLES
    @given(data=st.data())
    def test_every_anonymous_read(self, data):
        path, operation = data.draw(st.sampled_from(ANONYMOUS_READS), label="operation")
        values = data.draw(query_values(operation), label="query")
        assume(not (operation["operationId"] == "pages_list" and declared_conflict(values)))
        self.check_read(path, operation, values)

    @EXAMPLES
    @given(data=st.data())
    def test_the_pages_listing(self, data):
        path, operation = "/api/v3/pages/", DOCUMENT["paths"]["/api/v3/pages/"]["get"]
        values = data.draw(query_values(operation), label="query")
        assume(not declared_conflict(values))
        self.check_read(path, operation, values)

    @override_settings(FEEDBACK_RATE_LIMIT=10**9)
    @EXAMPLES
    @given(
        payload=objects(resolved(DOCUMENT["components"]["schemas"]["FeedbackIn"])),
        real_page=st.booleans(),
    )
    def test_every_feedback_the_document_allows(self, payload, real_page):
        if real_page:
            payload["page"] = self.page.pk
        before = Feedback.objects.count()
        response = self.client.post(
            "/api/v3/feedback/", json.dumps(payload), content_type="application/json"
        )
        if not real_page and payload["page"] != self.page.pk:
            # The document: a page that is not live, public and with an address.
            assert response.status_code == 404, (payload, response.content)
            assert Feedback.objects.count() == before
            return
        assert response.status_code == 201, (payload, response.content)
        assert Feedback.objects.count() in (before, before + 1)  # an addition, or a new one


@pytest.fixture
def document(client, db):
    return client.get("/api/v3/openapi.json").json()


def test_the_document_is_still_valid_openapi(document):
    validate(document)


def parameter(document, path, name):
    operation = document["paths"][path]["get"]
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_child_of_and_descendant_of_say_they_do_not_go_together(client, document):
    make_page(title="Vänorter")
    for name, other in (("child_of", "descendant_of"), ("descendant_of", "child_of")):
        assert other in parameter(document, "/api/v3/pages/", name)["description"]
    refusals = document["paths"]["/api/v3/pages/"]["get"]["responses"]["422"]["description"]
    assert (
        "`child_of` med `descendant_of`" in refusals and "`order=random` med `offset`" in refusals
    )

    response = client.get("/api/v3/pages/", {"child_of": 1, "descendant_of": 1})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["msg"] == "child_of och descendant_of kan inte användas tillsammans."
    alone = client.get("/api/v3/pages/", {"descendant_of": "root"})
    assert alone.status_code == 200


def test_limits_and_texts_are_declared_as_refused(client, document, settings):
    limit = parameter(document, "/api/v3/pages/", "limit")["schema"]
    offset = parameter(document, "/api/v3/pages/", "offset")["schema"]
    assert limit["maximum"] == settings.WAGTAILAPI_LIMIT_MAX
    assert client.get("/api/v3/pages/", {"offset": offset["maximum"] + 1}).status_code == 400
    assert client.get("/api/v3/pages/", {"offset": offset["maximum"]}).status_code == 200
    site = parameter(document, "/api/v3/pages/find/", "site")["schema"]["anyOf"][0]
    for value in ("a:b", "a:"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(value, site)
        # Wagtail's find asked the database for port "b": a 500.
        refused = client.get("/api/v3/pages/find/", {"site": value, "html_path": "x"})
        assert refused.status_code == 400
        assert refused.json()["detail"].startswith("site ska vara ett värdnamn")
    search = parameter(document, "/api/v3/pages/", "search")["schema"]["anyOf"][0]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("a\x00b", search)
    order = parameter(document, "/api/v3/pages/", "order")["schema"]["anyOf"][1]["items"]
    assert "title" in order["enum"] and "-title" in order["enum"] and "nope" not in order["enum"]


def test_the_feedback_address_is_declared_as_the_form_takes_it(client, document):
    page = make_page(title="Vänorter")
    email = resolved(document["components"]["schemas"]["FeedbackIn"])["properties"]["email"]
    address = email["anyOf"][0]
    assert address["format"] == "email" and address["maxLength"] == 254
    for refused in ("1" * 255, "1" * 200, "namn@example", "namn@-example.se", "a b@example.se"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(refused, address, format_checker=jsonschema.FormatChecker())
        response = client.post(
            "/api/v3/feedback/",
            json.dumps({"page": page.pk, "helpful": "yes", "email": refused}),
            content_type="application/json",
        )
        assert response.status_code == 422, refused
    assert not Feedback.objects.exists()


@pytest.mark.usefixtures("limiter_redis")
def test_no_feedback_for_the_root_or_a_page_without_an_address(client, db):
    live = make_page(title="Vänorter")
    root = Page.get_first_root_node()
    outside = root.add_child(instance=Page(title="Utanför webbplatsen", slug="utanfor"))
    for page in (root, outside):
        assert page.live and Page.objects.public().filter(pk=page.pk).exists()
        assert client.get(f"/feedback/{page.pk}/token/").status_code == 404
        assert client.get("/api/v3/feedback/token/", {"page": page.pk}).status_code == 404
        form = client.post(
            f"/feedback/{page.pk}/", {"helpful": "yes", "token": aged_token(page.pk)}
        )
        assert form.status_code == 404
        api_post = client.post(
            "/api/v3/feedback/",
            json.dumps({"page": page.pk, "helpful": "yes", "token": aged_token(page.pk)}),
            content_type="application/json",
        )
        assert api_post.status_code == 404
    assert not Feedback.objects.exists()
    assert client.get(f"/feedback/{live.pk}/token/").status_code == 200
