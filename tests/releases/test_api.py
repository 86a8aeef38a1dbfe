"""Releases through the API (`/api/v3/releases/`) with a `schedule` token:
the operations, who may do them, and every refusal as a Swedish problem
detail, all declared in the OpenAPI document."""

import json
from datetime import UTC, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from intl_pages.models import InternationalPage
from releases import actions
from releases.models import Release, ReleaseState
from tests.builders import make_api_token, make_contact, make_page
from tests.intl_pages.admin_forms import make_user

from .support import draft_of

RELEASES = "/api/v3/releases/"
NEXT_YEAR = timezone.now().year + 1


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def token(admin):
    return make_api_token(admin, "schedule", name="utgåvor")


@pytest.fixture
def editor_token(db):
    """A user who may edit pages but not publish them (Wagtail's Editors)."""
    return make_api_token(make_user("redaktor", "Editors"), "schedule", name="redaktör")


def call(client, method, path, payload=None, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    body = json.dumps(payload) if payload is not None else ""
    return getattr(client, method)(path, body, content_type="application/json", **headers)


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def in_an_hour():
    return (timezone.now() + timedelta(hours=1)).replace(microsecond=0)


def create(client, token, **fields):
    response = call(client, "post", RELEASES, {"name": "Nytt partnerskap", **fields}, token)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db
def test_a_release_built_scheduled_moved_and_cancelled(client, token, page_db):
    release = create(client, token)
    assert release["state"] == "draft" and release["go_live_at"] is None
    path = f"{RELEASES}{release['id']}/"
    kim = make_contact("Kim Utgåva")
    page_revision = draft_of(page_db, title="Vänorter i utgåvan")

    item = call(client, "post", f"{path}items/", {"page": page_db.pk}, token)
    assert item.status_code == 201, item.content
    assert item.json()["revision"] == page_revision.pk  # the latest, by default
    contact_item = call(
        client,
        "post",
        f"{path}items/",
        {"contact": kim.pk, "revision": kim.latest_revision_id, "action": "unpublish"},
        token,
    )
    assert contact_item.status_code == 201, contact_item.content
    assert contact_item.json()["action"] == "unpublish" and contact_item.json()["revision"] is None

    at = in_an_hour()
    moved = call(client, "put", path, {"go_live_at": at.isoformat()}, token)
    assert moved.status_code == 200, moved.content
    assert moved.json()["state"] == "scheduled"
    read = call(client, "get", path, token=token).json()
    assert read["go_live_at"].startswith(at.astimezone(UTC).isoformat()[:19])
    assert [(i["type"], i["conflict"]) for i in read["items"]] == [
        ("page", None),
        ("contact", None),
    ]
    renamed = call(client, "put", path, {"name": "Rockford"}, token)
    assert renamed.json()["name"] == "Rockford" and renamed.json()["state"] == "scheduled"

    removed = call(client, "delete", f"{path}items/{contact_item.json()['id']}/", token=token)
    assert removed.status_code == 204
    cancelled = call(client, "delete", path, token=token)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"


@pytest.mark.django_db
def test_created_with_a_time_it_is_scheduled(client, token):
    # Without an offset: Stockholm time, as the schedule endpoints take it.
    release = create(client, token, go_live_at=f"{NEXT_YEAR}-06-01T08:00")
    assert release["state"] == "scheduled"
    assert release["go_live_at"].startswith(f"{NEXT_YEAR}-06-01T06:00:00")


@pytest.mark.django_db
def test_anonymous_is_401_and_a_token_without_the_scope_403(client, admin):
    anonymous = problem(call(client, "post", RELEASES, {"name": "x"}), 401)
    assert anonymous["detail"].startswith("Inloggning krävs")
    pages_only = make_api_token(admin, "pages", name="sidor")
    refused = problem(call(client, "post", RELEASES, {"name": "x"}, pages_only), 403)
    assert refused["detail"] == "Token saknar behörigheten schedule, som behövs för detta."
    assert problem(call(client, "get", f"{RELEASES}1/", token=pages_only), 403)


@pytest.mark.django_db
def test_a_user_who_may_not_publish_an_item_may_not_schedule_it(
    client, editor_token, token, page_db
):
    release = create(client, editor_token)
    path = f"{RELEASES}{release['id']}/"
    # A draft holds anything the user may read.
    assert (
        call(client, "post", f"{path}items/", {"page": page_db.pk}, editor_token).status_code == 201
    )

    refused = problem(
        call(client, "put", path, {"go_live_at": in_an_hour().isoformat()}, editor_token), 403
    )
    assert refused["detail"] == (
        "Du får inte publicera sidan ”Vänorter och samarbeten”, och kan därför inte "
        "schemalägga utgåvan."
    )
    assert Release.objects.get(pk=release["id"]).state == ReleaseState.DRAFT
    # Scheduled by someone who may: the editor cannot add to it either.
    scheduled = call(client, "put", path, {"go_live_at": in_an_hour().isoformat()}, token)
    assert scheduled.status_code == 200
    other = make_page(title="Annan sida")
    added = problem(call(client, "post", f"{path}items/", {"page": other.pk}, editor_token), 403)
    assert added["detail"] == "Du får inte publicera sidan ”Annan sida”."


@pytest.mark.django_db
def test_unknown_releases_and_objects(client, token, page_db):
    missing = problem(call(client, "get", f"{RELEASES}999999/", token=token), 404)
    assert missing["detail"] == "Finns inte, eller är inte publicerat och offentligt."
    assert problem(call(client, "delete", f"{RELEASES}999999/", token=token), 404)
    path = f"{RELEASES}{create(client, token)['id']}/items/"
    cases = [
        ({"page": 999999}, "Sidan finns inte."),
        ({"contact": 999999}, "Kontaktpersonen finns inte."),
        ({}, "Ange antingen `page` eller `contact`, inte båda."),
        ({"page": page_db.pk, "contact": 1}, "Ange antingen `page` eller `contact`, inte båda."),
        ({"page": page_db.pk, "revision": 999999}, "Versionen finns inte."),
    ]
    for payload, message in cases:
        body = problem(call(client, "post", path, payload, token), 422)
        assert [error["msg"] for error in body["errors"]] == [message], payload


@pytest.mark.django_db
def test_bad_input_is_a_swedish_422(client, token, page_db):
    kim = make_contact("Kim Annan")
    path = f"{RELEASES}{create(client, token)['id']}/"
    cases = [
        (RELEASES, "post", {}, "Fältet måste fyllas i."),
        (RELEASES, "post", {"name": "x", "extra": 1}, "Fältet är okänt."),
        (RELEASES, "post", {"name": ""}, "Ogiltigt värde."),
        (RELEASES, "post", {"name": "x", "go_live_at": "i morgon"}, "Ange tiden som"),
        (RELEASES, "post", {"name": "x", "go_live_at": "2020-01-01T08:00"}, "Tiden har redan"),
        # The spring-forward night: 02:30 does not exist in Stockholm.
        (RELEASES, "post", {"name": "x", "go_live_at": f"{NEXT_YEAR}-03-28T02:30"}, ""),
        (f"{path}items/", "post", {"page": page_db.pk, "action": "bort"}, "Värdet är inte"),
        (f"{path}items/", "post", {"page": "1"}, "Ange ett heltal"),
        (
            f"{path}items/",
            "post",
            {"page": page_db.pk, "revision": kim.latest_revision_id},
            f"Versionen {kim.latest_revision_id} hör inte till sidan",
        ),
        (path, "put", {"go_live_at": "2020-01-01T08:00+01:00"}, "Tiden har redan"),
    ]
    for url, method, payload, start in cases:
        body = problem(call(client, method, url, payload, token), 422)
        assert body["errors"][0]["msg"].startswith(start), (payload, body)
    never = make_page(title="Aldrig publicerad", live=False)
    body = problem(
        call(client, "post", f"{path}items/", {"page": never.pk, "action": "unpublish"}, token),
        422,
    )
    assert body["errors"][0]["msg"] == (
        "Sidan ”Aldrig publicerad” är inte publicerad och kan inte avpubliceras."
    )


@pytest.mark.django_db
def test_a_claimed_release_is_409(client, token, admin, page_db):
    release = create(client, token)
    path = f"{RELEASES}{release['id']}/"
    call(client, "post", f"{path}items/", {"page": page_db.pk}, token)
    instance = Release.objects.get(pk=release["id"])
    at = timezone.now() + timedelta(milliseconds=200)
    actions.schedule_release(instance, at, admin)
    assert actions.apply_release(instance.pk, actions.as_iso(at)).status == actions.PUBLISHED

    other = make_page(title="För sent")
    for method, url, payload in (
        ("post", f"{path}items/", {"page": other.pk}),
        ("put", path, {"go_live_at": in_an_hour().isoformat()}),
        ("delete", path, None),
    ):
        body = problem(call(client, method, url, payload, token), 409)
        assert body["detail"] == "Utgåvan är redan publicerad och kan inte längre ändras."
    assert call(client, "get", path, token=token).json()["state"] == "published"


@pytest.mark.django_db
def test_the_read_gives_the_reasons_of_a_conflict_and_of_a_failure(client, token, page_db):
    release = create(client, token, go_live_at=in_an_hour().isoformat())
    path = f"{RELEASES}{release['id']}/"
    draft_of(page_db, title="I utgåvan")
    item = call(client, "post", f"{path}items/", {"page": page_db.pk}, token).json()
    draft_of(page_db, title="Publicerad direkt").publish()

    read = call(client, "get", path, token=token).json()
    [conflict] = read["conflicts"]
    assert conflict["item"] == item["id"]
    assert conflict["reason"].startswith("Sidan ”Publicerad direkt” har publicerats")
    assert read["items"][0]["conflict"] == conflict["reason"]

    instance = Release.objects.get(pk=release["id"])
    Release.objects.filter(pk=instance.pk).update(go_live_at=timezone.now())
    instance.refresh_from_db()
    actions.apply_release(instance.pk, actions.as_iso(instance.go_live_at))
    read = call(client, "get", path, token=token).json()
    assert read["state"] == "failed"
    assert read["failure"] == [conflict]
    assert InternationalPage.objects.get(pk=page_db.pk).title == "Publicerad direkt"


@pytest.mark.django_db
def test_the_operations_are_declared_with_their_scope(client):
    document = client.get("/api/v3/openapi.json").json()
    operations = {
        (path, method): operation
        for path, methods in document["paths"].items()
        if path.startswith(RELEASES)
        for method, operation in methods.items()
    }
    assert set(operations) == {
        (RELEASES, "post"),
        (f"{RELEASES}{{release_id}}/", "get"),
        (f"{RELEASES}{{release_id}}/", "put"),
        (f"{RELEASES}{{release_id}}/", "delete"),
        (f"{RELEASES}{{release_id}}/items/", "post"),
        (f"{RELEASES}{{release_id}}/items/{{item_id}}/", "delete"),
    }
    for operation in operations.values():
        assert operation["security"] == [{"BearerTokenAuth": ["schedule"]}]
        assert {"401", "403", "404", "422"} <= set(operation["responses"])
    assert "201" in operations[(RELEASES, "post")]["responses"]
