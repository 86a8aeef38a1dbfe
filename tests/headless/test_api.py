"""The headless API: a valid OpenAPI document with the body typed block by
block; what is served validates against it; anonymous callers (and token
holders, and logged-in editors, on reads) see published, public content only;
contacts and twin towns without parsing pages; errors as documented JSON."""

import json

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openapi_spec_validator import validate
from pydantic import TypeAdapter
from wagtail.models import PageViewRestriction

from intl_pages.api import BodyItem
from intl_pages.models import InternationalPage
from tests.builders import (
    contacts_block,
    heading,
    make_api_token,
    make_contact,
    make_page,
    make_site_root,
    paragraph,
    twin_town,
)
from tests.intl_pages.admin_forms import make_user

DOCUMENT = "/api/v3/openapi.json"
BLOCK_TYPES = {"heading", "paragraph", "bullet_list", "twin_town", "partnership", "contacts"}


@pytest.fixture
def document(client, db):
    response = client.get(DOCUMENT)
    assert response.status_code == 200
    return response.json()


def test_the_document_is_valid_openapi(document):
    validate(document)


def test_the_document_types_every_block_of_the_body(document):
    schemas = document["components"]["schemas"]
    body = schemas["InternationalPageSchema"]["properties"]["body"]
    assert {"$ref": "#/components/schemas/BodyItem"} in [
        option.get("items") for option in body["anyOf"]
    ]
    assert set(schemas["BodyItem"]["discriminator"]["mapping"]) == BLOCK_TYPES
    town = schemas["TwinTown"]["properties"]
    assert town["start_year"]["type"] == "integer"
    assert town["areas"]["type"] == "array" and town["areas"]["items"] == {"type": "string"}
    page = schemas["InternationalPageSchema"]["properties"]
    assert {"owner_email", "last_updated_at", "feedback_token", "introduction"} <= set(page)


def test_the_webhooks_payloads_are_documented(document):
    kinds = set(document["webhooks"])
    assert {"page.published", "page.went_live", "contact.published", "page.stamp_moved"} <= kinds
    post = document["webhooks"]["page.published"]["post"]
    assert {p["name"] for p in post["parameters"]} == {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "webhook-sequence",
    }


def test_every_operation_documents_its_errors_as_json(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"400", "401", "403", "404", "413", "422", "429"} <= statuses, (path, method)
            assert "application/problem+json" in operation["responses"]["404"]["content"]


def test_images_documents_and_snippets_are_not_served(client, db):
    for path in ("/api/v3/images/", "/api/v3/documents/", "/api/v3/snippets/"):
        assert client.get(path).status_code == 404


@pytest.fixture
def content(db):
    kim = make_contact("Kim Exempelsson")
    never = make_contact("Aldrig Publicerad", live=False)
    page = make_page(
        title="Vänorter",
        owner_email="naringsliv@example.org",
        body=[
            heading("Vänorter"),
            paragraph(
                '<p>Se <a href="https://example.org">här</a> och '
                f'<a linktype="page" id="{make_site_root().pk}">startsidan</a>.</p>'
            ),
            twin_town(
                city="Kecskemét",
                country="Ungern",
                start_year=1990,
                latitude="46.9062",
                longitude="19.6913",
            ),
            twin_town(city="Rockford", country="USA", start_year=2006, active=False),
            contacts_block(kim, never),
        ],
    )
    return {"page": page, "kim": kim, "never": never}


def detail(client, page, **params):
    return client.get(f"/api/v3/pages/{page.pk}/", params)


def test_the_page_is_served_typed_and_as_documented(client, content):
    response = detail(client, content["page"])
    assert response.status_code == 200
    data = response.json()

    TypeAdapter(list[BodyItem]).validate_python(data["body"])
    types = [block["type"] for block in data["body"]]
    assert types == ["heading", "paragraph", "twin_town", "twin_town", "contacts"]
    town = data["body"][2]["value"]
    assert town["city"] == "Kecskemét" and town["start_year"] == 1990
    assert town["latitude"] == pytest.approx(46.9062)
    assert data["body"][3]["value"]["active"] is False
    assert data["owner_email"] == "naringsliv@example.org"
    assert data["last_updated_at"] and data["meta"]["first_published_at"]
    assert data["feedback_token"].startswith(f"{content['page'].pk}:")


def test_contacts_are_their_published_data_never_an_unpublished_ones_id(client, content):
    data = detail(client, content["page"]).json()
    [contacts] = [b["value"] for b in data["body"] if b["type"] == "contacts"]
    assert [c["name"] for c in contacts["contacts"]] == ["Kim Exempelsson"]
    assert "Aldrig" not in json.dumps(data)
    assert str(content["never"].pk) not in [str(c) for c in contacts["contacts"]]


@pytest.mark.parametrize("format", [None, "html", "db", "plain"])
def test_a_paragraph_is_real_html_whatever_the_query_asks(client, content, format):
    params = {"rich_text_format": format} if format else {}
    response = detail(client, content["page"], **params)
    if response.status_code != 200:
        assert response.status_code in (400, 422)  # an unknown format: refused, not a 500
        return
    [paragraph_html] = [b["value"] for b in response.json()["body"] if b["type"] == "paragraph"]
    assert '<a href="https://example.org">här</a>' in paragraph_html
    # The internal link resolved to the home page's address, whatever was asked.
    assert '<a href="/">startsidan</a>' in paragraph_html
    assert "linktype" not in paragraph_html


def test_a_draft_change_is_never_served(client, content):
    page = InternationalPage.objects.get(pk=content["page"].pk)
    page.title = "UTKAST"
    page.save_revision()
    superuser = make_user("admin", superuser=True)
    # Every scope: no token reads a draft through the public operations.
    token = make_api_token(superuser, name="redaktionens")
    editor = Client()
    editor.force_login(superuser)

    for caller, headers in ((client, {}), (client, {"HTTP_AUTHORIZATION": f"Bearer {token}"})):
        for params in ({}, {"version": "draft"}):
            body = caller.get(f"/api/v3/pages/{page.pk}/", params, **headers).content.decode()
            assert "UTKAST" not in body and json.loads(body)["title"] == "Vänorter", params
        listing = caller.get("/api/v3/pages/", **headers).content.decode()
        assert "UTKAST" not in listing
    assert (
        "UTKAST"
        not in editor.get(f"/api/v3/pages/{page.pk}/", {"version": "draft"}).content.decode()
    )
    # ... and the document says so, where a front-end reads `version`.
    operation = client.get(DOCUMENT).json()["paths"]["/api/v3/pages/{page_id}/"]["get"]
    (version,) = [p for p in operation["parameters"] if p["name"] == "version"]
    assert version["description"].startswith("Alltid den publicerade versionen")


def test_an_unpublished_or_private_page_is_not_there(client, content):
    draft = make_page(title="Aldrig publicerad", live=False)
    private = make_page(title="Privat")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.GROUPS
    ).groups.add(Group.objects.get(name="Editors"))
    for page in (draft, private):
        assert detail(client, page).status_code == 404
    titles = [item["title"] for item in client.get("/api/v3/pages/").json()["items"]]
    assert "Vänorter" in titles and "Privat" not in titles and "Aldrig publicerad" not in titles


def test_a_huge_offset_is_a_400_not_a_500(client, content):
    for value in (str(2**64), str(10**30)):
        response = client.get("/api/v3/pages/", {"offset": value})
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
    assert client.get("/api/v3/pages/", {"offset": "100000"}).status_code == 200


def test_the_published_contacts(client, content):
    data = client.get("/api/v3/contacts/").json()
    assert [c["name"] for c in data["items"]] == ["Kim Exempelsson"]
    assert set(data["items"][0]) == {
        "id",
        "name",
        "title",
        "unit",
        "phone",
        "email",
        "last_reviewed_at",
        "review_due_at",
    }
    assert client.get("/api/v3/contacts/", {"draft": "1"}).status_code == 400


def test_the_twin_towns_of_live_public_pages_with_filters(client, content):
    make_page(title="Utkast", live=False, body=[twin_town(city="Hemlig", country="Ungern")])
    data = client.get("/api/v3/twin-towns/").json()
    assert [t["city"] for t in data["items"]] == ["Kecskemét", "Rockford"]
    assert data["items"][0]["page"]["id"] == content["page"].pk

    active = client.get("/api/v3/twin-towns/", {"active": "true"}).json()
    assert [t["city"] for t in active["items"]] == ["Kecskemét"]
    usa = client.get("/api/v3/twin-towns/", {"country": "usa"}).json()
    assert [t["city"] for t in usa["items"]] == ["Rockford"]


def test_an_unknown_twin_town_filter_is_a_400(client, content):
    response = client.get("/api/v3/twin-towns/", {"city": "Rockford"})
    assert response.status_code == 400
    assert "Okänd parameter: city" in response.json()["detail"]
    assert client.get("/api/v3/twin-towns/", {"agreement_type": "Påhittat"}).status_code == 422


def test_cors_for_the_front_ends_on_the_api_only(client, content, settings):
    origin = "https://front.lidkoping.example.org"
    settings.CORS_ALLOWED_ORIGINS = [origin]
    api = client.get("/api/v3/contacts/", HTTP_ORIGIN=origin)
    assert api["Access-Control-Allow-Origin"] == origin
    other = client.get("/api/v3/contacts/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other
    page = client.get(content["page"].url, HTTP_ORIGIN=origin)
    assert "Access-Control-Allow-Origin" not in page


def page_with(towns, contacts):
    people = [make_contact(f"Kontakt {i}") for i in range(contacts)]
    return make_page(
        title=f"Sida med {towns} orter",
        body=[
            *(twin_town(city=f"Ort {i}", country="Ungern") for i in range(towns)),
            contacts_block(*people),
        ],
    )


def test_the_detail_costs_the_same_queries_for_5_or_50_towns(client, db):
    small, large = page_with(5, 2), page_with(50, 20)
    counts = []
    for page in (small, large):
        detail(client, page)  # the site root's paths, cached once per process
        with CaptureQueriesContext(connection) as queries:
            assert detail(client, page).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_errors_made_outside_the_api_views_are_json_too(client, content, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    bad_host = client.get("/api/v3/contacts/", HTTP_HOST="evil.example")
    assert bad_host.status_code == 400
    assert bad_host["Content-Type"] == "application/problem+json"
    assert bad_host.json()["detail"] == "Förfrågan kunde inte tas emot."

    unknown = client.get("/api/v3/inget-sadant/")
    assert unknown.status_code == 404
    assert unknown["Content-Type"] == "application/problem+json"
    # The site's own pages keep their HTML.
    assert "html" in client.get("/inget-sadant/")["Content-Type"]


def test_a_body_too_large_is_a_413_before_it_is_read(client, content, settings):
    settings.FEEDBACK_MAX_BODY_BYTES = 1000
    body = json.dumps({"page": content["page"].pk, "helpful": "yes", "comment": "x" * 2000})
    response = client.post("/api/v3/feedback/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "params, status",
    [
        ({"titel": "Vänorter"}, 400),  # a typo Wagtail would ignore, listing everything
        ({"introduction": "x"}, 400),  # not a field of every page
        ({"type": "intl_pages.InternationalPage", "introduction": "x"}, 200),
        ({"title": "Vänorter", "limit": "5", "order": "title", "search": "vänort"}, 200),
    ],
)
def test_an_unknown_pages_parameter_is_a_400(client, content, params, status):
    response = client.get("/api/v3/pages/", params)
    assert response.status_code == status
    if status == 400:
        assert response.json()["detail"].startswith("Okänd parameter:")


def test_the_detail_refuses_an_unknown_parameter_too(client, content):
    assert detail(client, content["page"], fields="body").status_code == 400
    assert detail(client, content["page"], version="live").status_code == 200


@pytest.mark.parametrize("role", [None, "Editors", "Moderators", "superuser"])
@pytest.mark.parametrize("with_session", [False, True])
def test_no_role_reads_a_draft_a_private_page_or_an_address(client, content, role, with_session):
    page = InternationalPage.objects.get(pk=content["page"].pk)
    page.title = "UTKAST"
    page.save_revision()
    private = make_page(title="Privat sida")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    headers = {}
    if role:
        user = make_user(f"roll-{role}", None if role == "superuser" else role, role == "superuser")
        headers["HTTP_AUTHORIZATION"] = f"Bearer {make_api_token(user)}"
        if with_session:
            client.force_login(user)

    bodies = [
        client.get(path, params, **headers).content.decode()
        for path, params in (
            ("/api/v3/pages/", {}),
            (f"/api/v3/pages/{page.pk}/", {"version": "draft"}),
            (f"/api/v3/pages/{private.pk}/", {}),
            ("/api/v3/contacts/", {}),
            ("/api/v3/twin-towns/", {}),
        )
    ]
    everything = "".join(bodies)
    assert "UTKAST" not in everything and "Privat sida" not in everything
    assert "Aldrig Publicerad" not in everything


ODD_VALUES = ["", "-1", "0", "abc", str(2**70), "ä\u0000", "1,2", "true"]


def test_no_read_in_the_document_answers_a_5xx_or_anything_but_json(client, content, document):
    """Every GET of the document, with each declared query parameter given odd
    values: never a 5xx, every error a problem detail."""
    ids = {
        "page_id": content["page"].pk,
        "contact_id": content["kim"].pk,
        "revision_id": 1,
        "release_id": 1,
    }
    for path, operations in document["paths"].items():
        operation = operations.get("get")
        if not operation:
            continue
        url = path.format(**ids)
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        for name in names or [None]:
            for value in ODD_VALUES:
                response = client.get(url, {name: value} if name else {})
                assert response.status_code < 500, (url, name, value)
                if response.status_code >= 400:
                    assert response["Content-Type"] == "application/problem+json", (url, name)
                else:
                    assert (
                        response.status_code in operation["responses"]
                        or str(response.status_code) in operation["responses"]
                    ), (url, name, response.status_code)


def test_a_write_with_a_json_body_that_is_not_an_object_is_a_422(client, content):
    token = make_api_token(make_user("admin", superuser=True), "pages")
    for path, method in (
        (f"/api/v3/pages/{content['page'].pk}/", "patch"),
        ("/api/v3/feedback/", "post"),
    ):
        response = getattr(client, method)(
            path, "[1]", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert response.status_code == 422, (path, response.status_code)
        assert response["Content-Type"] == "application/problem+json"


def test_wagtails_and_ninjas_english_comes_back_in_swedish(client, content):
    missing = client.get("/api/v3/pages/999999/").json()
    assert missing["detail"] == "Finns inte, eller är inte publicerat och offentligt."
    unauthorised = client.put("/api/v3/schedule/pages/1/", "{}", content_type="application/json")
    assert unauthorised.status_code == 401
    assert unauthorised.json()["detail"].startswith("Inloggning krävs")
    too_many = client.get("/api/v3/pages/", {"limit": "1000"}).json()
    assert too_many["detail"] == "limit får vara högst 100."


@pytest.mark.parametrize("value", ["²", "١٢"])  # digits to isdigit(), not to int()
def test_an_offset_in_other_digits_is_a_4xx(client, content, value):
    assert 400 <= client.get("/api/v3/pages/", {"offset": value}).status_code < 500


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_json_array_under_another_content_type_is_a_422(client, content, content_type):
    token = make_api_token(make_user("admin", superuser=True), "pages")
    response = client.patch(
        f"/api/v3/pages/{content['page'].pk}/",
        "[1]",
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 422


def test_revisions_are_read_with_a_token_only(client, content):
    path = f"/api/v3/pages/{content['page'].pk}/revisions/"
    assert client.get(path).status_code == 401
    token = make_api_token(make_user("admin", superuser=True), "drafts")
    assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_a_refusal_made_in_html_keeps_its_cors_and_vary_headers(client, settings, db):
    """Django's 404 page, turned into a problem detail, still carries what
    CORS added: a front-end on another origin reads the refusal, not a
    CORS error, and a cache knows the answer varies on Origin."""
    settings.CORS_ALLOWED_ORIGINS = ["https://front.example"]

    response = client.get("/api/v3/finns-inte/", HTTP_ORIGIN="https://front.example")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response["Access-Control-Allow-Origin"] == "https://front.example"
    assert "origin" in response["Vary"].lower()
