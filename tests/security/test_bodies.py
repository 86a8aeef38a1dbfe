"""Every body refuses, never fails: nested, huge, truncated or non-UTF-8 JSON
on every JSON operation of the API (feedback, the schedule, Wagtail's page
writes and actions) is a 400 or 422 problem detail in Swedish, and nothing
is stored; the widget's form post refuses junk the same way."""

import json

import pytest
from wagtail.models import Page, Revision

from feedback.models import Feedback
from headless import bodies
from intl_pages.models import Contact
from releases.actions import create_release
from releases.models import Release, ReleaseItem
from tests.builders import make_api_token, make_contact, make_page, make_statement
from tests.feedback.conftest import aged_token, limiter_redis  # noqa: F401
from tests.intl_pages.admin_forms import make_user

NESTED_ARRAYS = b"[" * 5000
NESTED_OBJECTS = b'{"a":' * 3000  # under the feedback's 16 KB
# Deeper than the rule allows, shallow enough for Python's parser to take.
NESTED_IN_A_FIELD = b'{"page": ' + b"[" * 200 + b"]" * 200 + b', "helpful": "yes"}'

HOSTILE = {
    "nested arrays": (NESTED_ARRAYS, bodies.TOO_DEEP),
    "nested objects": (NESTED_OBJECTS, bodies.TOO_DEEP),
    "nested in a field": (NESTED_IN_A_FIELD, bodies.TOO_DEEP),
    "truncated": (b'{"page": 4, "helpful": "y', bodies.NOT_JSON),
    "latin-1": ('{"comment": "Hjälp"}'.encode("latin-1"), bodies.NOT_UTF8),
    "utf-16": ('{"helpful": "yes"}'.encode("utf-16"), bodies.NOT_UTF8),
    "byte order mark": (b'\xef\xbb\xbf{"helpful": "yes"}', bodies.NOT_JSON),
    "lone surrogate": (b'{"comment": "\\ud800"}', bodies.BROKEN_TEXT),
    "lone surrogate in a key": (b'{"\\udfff": 1}', bodies.BROKEN_TEXT),
    "NaN": (b'{"rating": NaN}', bodies.NOT_A_NUMBER),
    "Infinity": (b'{"rating": -Infinity}', bodies.NOT_A_NUMBER),
    "a number of 5,000 digits": (b'{"rating": ' + b"9" * 5000 + b"}", bodies.NOT_JSON),
    "not JSON at all": (b"helpful=yes&page=4", bodies.NOT_JSON),
}


@pytest.fixture
def content(db):
    page = make_page(title="Vänorter")
    contact = make_contact()
    admin = make_user("admin", superuser=True)
    token = make_api_token(admin)
    release = create_release("Nytt partnerskap", admin)
    return {"page": page, "contact": contact, "token": token, "release": release}


def json_operations(content):
    """(method, path) of every operation in the document that takes a JSON
    body, with real ids."""
    from headless.api import api

    ids = {
        "page_id": content["page"].pk,
        "contact_id": content["contact"].pk,
        "release_id": content["release"].pk,
    }
    found = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                found.append((method, path.format(**ids)))
    return found


def stored():
    return (
        Feedback.objects.count(),
        Page.objects.count(),
        Revision.objects.count(),
        Contact.objects.filter(expire_at__isnull=False).count(),
        Release.objects.count(),
        ReleaseItem.objects.count(),
    )


def send(client, method, path, body, token, content_type="application/json"):
    return getattr(client, method)(
        path, body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_the_document_names_the_operations_that_take_json(content):
    operations = json_operations(content)
    paths = {path for _, path in operations}
    page = content["page"].pk
    # Feedback, both schedule PUTs, Wagtail's create and update, its actions.
    assert "/api/v3/feedback/" in paths
    assert f"/api/v3/schedule/pages/{page}/" in paths
    assert f"/api/v3/schedule/contacts/{content['contact'].pk}/" in paths
    assert ("post", "/api/v3/pages/") in operations
    assert ("patch", f"/api/v3/pages/{page}/") in operations
    assert f"/api/v3/pages/{page}/actions/move/" in paths
    assert len(operations) >= 10


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_body_is_refused_in_swedish_on_every_json_operation(client, content, kind):
    body, reason = HOSTILE[kind]
    before = stored()
    for method, path in json_operations(content):
        response = send(client, method, path, body, content["token"])
        assert response.status_code == 400, (kind, method, path, response.status_code)
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["detail"] == reason, (kind, method, path)
    assert stored() == before


def test_json_that_is_not_an_object_is_a_422_everywhere(client, content):
    for method, path in json_operations(content):
        for body in (b"[]", b"1", b'"text"', b"null"):
            response = send(client, method, path, body, content["token"])
            assert response.status_code == 422, (method, path, body)
            assert response.json()["detail"] == "Innehållet ska vara ett JSON-objekt."


def test_a_body_over_the_limit_is_a_413_before_it_is_read(client, content, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    huge = b'{"comment": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}'
    before = stored()
    for method, path in json_operations(content):
        response = send(client, method, path, huge, content["token"])
        assert response.status_code == 413, (method, path)
        assert response.json()["detail"] == "Förfrågans innehåll är för stort."
    assert stored() == before


@pytest.mark.parametrize("kind", ["nested arrays", "lone surrogate", "NaN", "utf-16"])
def test_the_apis_own_parser_refuses_them_without_the_middleware(client, content, kind, settings):
    """Ninja reads bodies by the same rule: the operation refuses them (a 400)
    even where the middleware's check is not in front of it."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "PublicReadsMiddleware" not in m]
    body, _ = HOSTILE[kind]
    before = stored()
    for method, path in json_operations(content):
        response = send(client, method, path, body, content["token"])
        assert response.status_code == 400, (kind, method, path, response.status_code)
        assert response.json()["detail"] == "Innehållet gick inte att läsa."
    assert stored() == before


@pytest.mark.usefixtures("limiter_redis")
def test_a_good_body_still_goes_through(client, content):
    page = content["page"]
    body = json.dumps({"page": page.pk, "helpful": "yes", "token": aged_token(page.pk)})
    response = client.post("/api/v3/feedback/", body, content_type="application/json")
    assert response.status_code == 201
    schedule = send(
        client,
        "put",
        f"/api/v3/schedule/pages/{page.pk}/",
        json.dumps({"expire_at": "2040-01-01T00:00:00+01:00"}),
        content["token"],
    )
    assert schedule.status_code == 200, schedule.content


def test_a_nul_in_a_page_write_is_refused_by_the_form_not_the_database(client, content):
    before = stored()
    response = send(
        client,
        "patch",
        f"/api/v3/pages/{content['page'].pk}/",
        json.dumps({"title": "Vän\x00orter"}),
        content["token"],
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["msg"] == "Null-tecken är inte tillåtna."
    assert response.json()["detail"] == "Det gick inte att spara; `errors` säger varför."
    assert stored() == before


# The widget's form post: multipart and urlencoded junk, broken charsets.
FORM_JUNK = {
    "multipart without a boundary": ("multipart/form-data", b"--x\r\n"),
    "multipart with a header line without end": (
        "multipart/form-data; boundary=abc",
        b"--abc\r\nContent-Disposition: form-data; name=" + b"x" * 2000,
    ),
    "a charset that is not one": ("application/x-www-form-urlencoded; charset=../../x", b"a=b"),
    "utf-16 declared, latin-1 sent": (
        "application/x-www-form-urlencoded; charset=utf-16",
        "helpful=yes&comment=Hjälp".encode("latin-1"),
    ),
    "broken percent escapes": (
        "application/x-www-form-urlencoded",
        b"helpful=%ZZ&comment=%E4%FF%FE&email=%",
    ),
    "a field named by NUL": ("application/x-www-form-urlencoded", b"%00=1&helpful=%00"),
    "JSON under a form's type": ("application/x-www-form-urlencoded", NESTED_ARRAYS[:4000]),
    "binary": ("application/octet-stream", bytes(range(256)) * 8),
}


@pytest.mark.parametrize("kind", FORM_JUNK)
@pytest.mark.usefixtures("limiter_redis")
def test_the_widgets_form_post_refuses_junk_with_a_4xx(client, content, kind):
    content_type, body = FORM_JUNK[kind]
    before = Feedback.objects.count()
    for accept in ("text/html", "application/json"):
        # generic(): the bytes as they are, whatever the charset says.
        response = client.generic(
            "POST",
            f"/feedback/{content['page'].pk}/",
            body,
            content_type=content_type,
            HTTP_ACCEPT=accept,
        )
        assert 400 <= response.status_code < 500, (kind, accept, response.status_code)
    assert Feedback.objects.count() == before


# Odd, but readable: Django takes a part without its closing boundary, and
# reads a charset it does not know as UTF-8. An answer like any other.
FORM_ODD = {
    "multipart without its closing boundary": (
        "multipart/form-data; boundary=abc",
        b'--abc\r\nContent-Disposition: form-data; name="helpful"\r\n\r\nyes',
    ),
    "an unknown charset": ("application/x-www-form-urlencoded; charset=klingon", b"helpful=yes"),
}


@pytest.mark.parametrize("kind", FORM_ODD)
@pytest.mark.usefixtures("limiter_redis")
def test_an_odd_but_readable_form_post_is_an_answer(client, content, kind):
    content_type, body = FORM_ODD[kind]
    response = client.generic(
        "POST", f"/feedback/{content['page'].pk}/", body, content_type=content_type
    )
    assert response.status_code == 303
    assert Feedback.objects.get().helpful is True


@pytest.mark.parametrize("field", ["token", "answer", "website"])
@pytest.mark.usefixtures("limiter_redis")
def test_a_nul_in_a_hidden_field_is_a_forged_value_not_an_error(client, content, field):
    """The document allows any text in `token` and `answer`: a NUL makes a
    forged value (spam, or a new answer), never a 4xx the document hides."""
    page = content["page"]
    data = {"page": page.pk, "helpful": "yes", "token": aged_token(page.pk), field: "a\x00b"}
    if field == "website":
        data.pop("page")
        response = client.post(f"/feedback/{page.pk}/", data, HTTP_ACCEPT="application/json")
    else:
        response = client.post(
            "/api/v3/feedback/", json.dumps(data), content_type="application/json"
        )
    assert response.status_code == 201, response.content
    assert Feedback.objects.count() == 1


def test_too_many_fields_is_a_swedish_400_not_djangos_page(client, content, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 100
    body = "&".join(f"f{n}=1" for n in range(200))
    response = client.post(
        f"/feedback/{content['page'].pk}/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "Svaret gick inte att läsa" in response.content.decode()
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("kind", FORM_JUNK)
@pytest.mark.usefixtures("limiter_redis")
def test_the_report_forms_post_refuses_junk_with_a_4xx(client, content, kind):
    statement = make_statement()
    content_type, body = FORM_JUNK[kind]
    for accept in ("text/html", "application/json"):
        response = client.generic(
            "POST",
            f"/feedback/{statement.pk}/rapportera-brist/",
            body,
            content_type=content_type,
            HTTP_ACCEPT=accept,
        )
        assert 400 <= response.status_code < 500, (kind, accept, response.status_code)
    assert not Feedback.objects.exists()
