"""Scheduling through the API: with the bearer token of a user who may
publish, set, move and cancel the go-live and expiry of a page or a contact,
carried out by the same exactly-once pipeline as the admin's (a real worker
publishes on the second); times without an offset are Stockholm time, and
the daylight-saving nights get the admin's messages."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from wagtail.models import PageLogEntry, Revision

from headless.schedule_changes import change_schedule
from intl_pages.models import Contact
from tests.builders import make_api_token, make_contact, make_page
from tests.intl_pages.admin_forms import make_user
from tests.tasks.support import fetch_page, wait_until

from .test_api import detail

NEXT_YEAR = timezone.now().year + 1


def token_for(user):
    return make_api_token(user, "schedule", name="schemat")


@pytest.fixture
def moderator_token(db):
    return token_for(make_user("moderator", "Moderators"))


def put(client, path, payload, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.put(path, json.dumps(payload), content_type="application/json", **headers)


def iso(when):
    return when.isoformat()


@pytest.mark.django_db(transaction=True)
def test_a_go_live_set_through_the_api_goes_live_on_the_second(worker, page_tx):
    # A superuser's token: a transactional test may run after another one
    # flushed the groups that Wagtail's migrations made.
    moderator_token = token_for(make_user("admin", superuser=True))
    client = Client()
    page = fetch_page(page_tx.pk)
    page.title = "Vänorter – schemalagd rubrik"
    page.save_revision()  # a draft, not published
    go_live_at = timezone.now().replace(microsecond=0) + timedelta(seconds=3)

    response = put(
        client,
        f"/api/v3/schedule/pages/{page.pk}/",
        {"go_live_at": iso(go_live_at)},
        moderator_token,
    )

    assert response.status_code == 200, response.content
    assert response.json()["go_live_at"].startswith(go_live_at.astimezone(UTC).isoformat()[:19])
    assert detail(client, page).json()["title"] != "Vänorter – schemalagd rubrik"
    live = wait_until(
        lambda: (p := fetch_page(page.pk)).title == "Vänorter – schemalagd rubrik" and p,
        what="the page to go live",
    )
    assert live.last_published_at >= go_live_at
    assert PageLogEntry.objects.filter(page=page, action="wagtail.publish.scheduled").count() == 1


@pytest.mark.django_db
def test_moved_then_cancelled_leaves_nothing_scheduled_and_no_lock(client, moderator_token):

    page = make_page(title="Vänorter")
    path = f"/api/v3/schedule/pages/{page.pk}/"
    first = timezone.now() + timedelta(hours=1)
    second = first + timedelta(hours=1)

    put(client, path, {"go_live_at": iso(first)}, moderator_token)
    moved = put(client, path, {"go_live_at": iso(second)}, moderator_token).json()
    assert type(fetch_page(page.pk).get_lock()).__name__ == "ScheduledForPublishLock"
    assert (
        Revision.page_revisions.filter(
            object_id=str(page.pk), approved_go_live_at__isnull=False
        ).count()
        == 1
    )
    assert moved["go_live_at"][:16] == iso(second.astimezone(UTC))[:16]

    cancelled = put(client, path, {"go_live_at": None}, moderator_token)
    assert cancelled.status_code == 200 and cancelled.json()["go_live_at"] is None
    assert not Revision.page_revisions.filter(
        object_id=str(page.pk), approved_go_live_at__isnull=False
    ).exists()
    assert PageLogEntry.objects.filter(page=page, action="wagtail.schedule.cancel").exists()
    # Nothing locks the page any more (while scheduled, Wagtail's lock).
    assert fetch_page(page.pk).get_lock() is None


@pytest.mark.django_db
def test_an_expiry_set_moved_and_cancelled_without_publishing(client, moderator_token):

    page = make_page(title="Vänorter")
    published_at = fetch_page(page.pk).last_published_at
    path = f"/api/v3/schedule/pages/{page.pk}/"
    when = timezone.now() + timedelta(days=30)

    assert put(client, path, {"expire_at": iso(when)}, moderator_token).status_code == 200
    page = fetch_page(page.pk)
    assert page.expire_at == when and page.last_published_at == published_at
    assert page.latest_revision.as_object().expire_at == when  # the admin's form shows it
    put(client, path, {"expire_at": None}, moderator_token)
    assert fetch_page(page.pk).expire_at is None


@pytest.mark.django_db
def test_a_contact_is_scheduled_the_same_way(client):
    # Editors may publish contacts (migration intl_pages/0004), not pages.
    token = token_for(make_user("redaktor", "Editors"))
    contact = make_contact("Kim Exempelsson")
    when = timezone.now() + timedelta(days=1)
    path = f"/api/v3/schedule/contacts/{contact.pk}/"

    response = put(client, path, {"expire_at": iso(when)}, token)
    assert response.status_code == 200, response.content
    assert Contact.objects.get(pk=contact.pk).expire_at == when
    assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}").json()["expire_at"]


@pytest.mark.django_db
def test_without_a_token_or_the_right_to_publish_it_is_refused(client):

    page = make_page(title="Vänorter")
    path = f"/api/v3/schedule/pages/{page.pk}/"
    later = iso(timezone.now() + timedelta(hours=1))
    assert put(client, path, {"go_live_at": later}).status_code == 401
    assert client.get(path).status_code == 401
    editor_token = token_for(make_user("redaktor", "Editors"))
    editor = put(client, path, {"go_live_at": later}, editor_token)
    assert editor.status_code == 403
    assert editor["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "value, message",
    [
        ("2027-03-28T02:30:00", "Klockan 02:30 finns inte den 2027-03-28"),
        ("2027-10-31T02:30:00", "Klockan 02:30 inträffar två gånger den 2027-10-31"),
        ("2020-01-01T07:00:00+01:00", "Tiden har redan passerat"),
        ("nästa tisdag", "Ange tiden som"),
    ],
)
@pytest.mark.django_db
def test_times_the_schedule_cannot_take_get_the_admins_messages(
    client, moderator_token, value, message
):

    page = make_page(title="Vänorter")
    response = put(
        client, f"/api/v3/schedule/pages/{page.pk}/", {"go_live_at": value}, moderator_token
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"][-1] == "go_live_at" and error["msg"].startswith(message)


@pytest.mark.django_db
def test_a_time_without_offset_is_stockholm_wall_clock(client, moderator_token):

    page = make_page(title="Vänorter")
    response = put(
        client,
        f"/api/v3/schedule/pages/{page.pk}/",
        {"go_live_at": f"{NEXT_YEAR}-06-01T07:00:00"},
        moderator_token,
    )
    # Summer time, CEST, is UTC+2.
    assert response.json()["go_live_at"].startswith(f"{NEXT_YEAR}-06-01T05:00:00")


@pytest.mark.django_db
def test_tokens_are_made_by_administrators_only(client):
    from django.urls import reverse

    add = reverse("wagtailusers_api_tokens:add")
    for group in ("Editors", "Moderators"):
        client.force_login(make_user(f"anvandare-{group}", group))
        assert client.get(add).status_code in (302, 403), group
    client.force_login(make_user("admin", superuser=True))
    assert client.get(add).status_code == 200


@pytest.mark.django_db
def test_go_live_and_expiry_are_checked_against_each_other_as_they_will_be(client, moderator_token):
    page = make_page(title="Vänorter", expire_at=timezone.now() + timedelta(hours=1))
    path = f"/api/v3/schedule/pages/{page.pk}/"
    in_hours = {n: iso(timezone.now() + timedelta(hours=n)) for n in (1, 2, 3)}

    # A later go-live with a later expiry, sent together: the old expiry does not count.
    moved = put(
        client, path, {"go_live_at": in_hours[2], "expire_at": in_hours[3]}, moderator_token
    )
    assert moved.status_code == 200, moved.content
    # An expiry before the scheduled go-live: refused.
    early = put(client, path, {"expire_at": in_hours[1]}, moderator_token)
    assert early.status_code == 422
    assert early.json()["errors"][0]["loc"][-1] == "expire_at"
    # The scheduled revision carries the expiry the API set.
    approved = Revision.page_revisions.get(
        object_id=str(page.pk), approved_go_live_at__isnull=False
    )
    expected = datetime.fromisoformat(in_hours[3])
    assert abs(approved.as_object().expire_at - expected) < timedelta(seconds=1)


@pytest.mark.django_db
def test_a_time_past_year_9999_in_utc_is_a_422_not_a_500(client, moderator_token):
    page = make_page(title="Vänorter")
    response = put(
        client,
        f"/api/v3/schedule/pages/{page.pk}/",
        {"go_live_at": "9999-12-31T23:30:00-01:00"},
        moderator_token,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["msg"] == "Tiden ligger för långt fram."


# GET /api/v3/schedule/: the overview's rows


@pytest.mark.django_db
def test_the_list_of_everything_scheduled(client, moderator_token):
    moderator = make_user("annan-moderator", "Moderators")
    page = make_page(title="Vänorter", live=False)
    contact = make_contact()
    go_live_at = timezone.now().replace(microsecond=0) + timedelta(days=2)
    expire_at = go_live_at - timedelta(days=1)
    change_schedule(page, moderator, go_live_at=go_live_at)
    change_schedule(contact, moderator, expire_at=expire_at)

    headers = {"HTTP_AUTHORIZATION": f"Bearer {moderator_token}"}
    response = client.get("/api/v3/schedule/", **headers)

    assert response.status_code == 200, response.content
    rows = response.json()
    assert [(r["what"], r["id"], r["action"], r["state"]) for r in rows] == [
        ("contact", contact.pk, "expire", "pending"),
        ("page", page.pk, "publish", "pending"),
    ]
    assert rows[1]["when"].startswith(go_live_at.astimezone(UTC).isoformat()[:19])
    assert rows[1]["scheduled_by"] == "annan-moderator"
    assert rows[1]["revision_id"] == Revision.objects.get(approved_go_live_at__isnull=False).pk
    assert rows[1]["edit_url"] == f"/admin/pages/{page.pk}/edit/"

    only_pages = client.get("/api/v3/schedule/", {"what": "page"}, **headers).json()
    assert [r["what"] for r in only_pages] == ["page"]
    later = (expire_at + timedelta(hours=1)).isoformat()
    after = client.get("/api/v3/schedule/", {"start": later}, **headers).json()
    assert [r["what"] for r in after] == ["page"]
    bad = client.get("/api/v3/schedule/", {"start": "i morgon"}, **headers)
    assert bad.status_code == 422
    assert bad["Content-Type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["loc"] == ["query", "start"]


@pytest.mark.django_db
def test_the_list_needs_a_schedule_token(client):
    user = make_user("admin", superuser=True)
    assert client.get("/api/v3/schedule/").status_code == 401
    pages_only = make_api_token(user, "pages")
    response = client.get("/api/v3/schedule/", HTTP_AUTHORIZATION=f"Bearer {pages_only}")
    assert response.status_code == 403
    assert "schedule" in response.json()["detail"]
    schema = client.get("/api/v3/openapi.json").json()
    operation = schema["paths"]["/api/v3/schedule/"]["get"]
    assert operation["security"] == [{"BearerTokenAuth": ["schedule"]}]
