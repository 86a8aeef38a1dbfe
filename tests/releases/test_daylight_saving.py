"""A release's instant on Stockholm's daylight-saving nights: stored in UTC,
planned by real elapsed time (the sweep's `plan` takes the clock as `now=`),
applied at that instant, and a wall-clock time the night makes impossible or
ambiguous refused through the API."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from intl_pages.models import InternationalPage
from releases import actions
from releases.models import Release, ReleaseState
from tasks import scheduling
from tests.builders import make_api_token

from .support import draft_of

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def planned_releases(now):
    sent = []
    scheduling.plan(
        now=now,
        send_publishes=lambda ids, at: None,
        send_expiries=lambda ct, ids, at: None,
        send_releases=lambda release_id, at: sent.append((release_id, at)),
    )
    return sent


def release_at(user, page, go_live_at):
    draft_of(page, title="Sommartid")
    release = actions.create_release("Natten", user)
    actions.add_item(release, InternationalPage.objects.get(pk=page.pk), user)
    return actions.schedule_release(release, go_live_at, user, now=go_live_at - timedelta(days=1))


@pytest.mark.django_db
def test_a_release_just_after_spring_forward(page_db, admin, cache_redis):
    # 2027-03-28: clocks jump from 02:00 CET to 03:00 CEST (01:00 UTC).
    go_live_at = datetime(2027, 3, 28, 3, 0, 30, tzinfo=STOCKHOLM)
    release = release_at(admin, page_db, go_live_at)
    assert Release.objects.get(pk=release.pk).go_live_at == datetime(
        2027, 3, 28, 1, 0, 30, tzinfo=UTC
    )

    # Two minutes and a second of real time before it is 01:58:29 CET: the
    # wall clock says an hour more, the sweep does not care.
    assert planned_releases(datetime(2027, 3, 28, 1, 57, tzinfo=STOCKHOLM)) == []
    assert planned_releases(datetime(2027, 3, 28, 1, 59, tzinfo=STOCKHOLM)) == [
        (release.pk, go_live_at)
    ]

    outcome = actions.apply_release(release.pk, actions.as_iso(go_live_at), now=go_live_at)
    assert outcome.status == actions.PUBLISHED
    release = Release.objects.get(pk=release.pk)
    assert release.state == ReleaseState.PUBLISHED and release.published_at == go_live_at


@pytest.mark.django_db
def test_a_release_in_the_second_half_hour_of_fall_back(page_db, admin, cache_redis):
    # 2027-10-31: 03:00 CEST goes back to 02:00 CET; 02:30 comes twice.
    go_live_at = datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=STOCKHOLM)
    assert go_live_at.astimezone(UTC) == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    release = release_at(admin, page_db, go_live_at)

    first_pass = datetime(2027, 10, 31, 2, 29, fold=0, tzinfo=STOCKHOLM)
    second_pass = datetime(2027, 10, 31, 2, 29, fold=1, tzinfo=STOCKHOLM)
    assert planned_releases(first_pass) == []  # an hour early, by real time
    # In UTC: Python never finds a time in the fold equal to one in another zone.
    assert planned_releases(second_pass) == [(release.pk, go_live_at.astimezone(UTC))]
    early = actions.apply_release(release.pk, actions.as_iso(go_live_at), now=first_pass)
    assert early.status == actions.EARLY
    assert Release.objects.get(pk=release.pk).state == ReleaseState.SCHEDULED


@pytest.mark.django_db
def test_the_api_refuses_a_wall_clock_time_the_night_makes_ambiguous(admin):
    token = make_api_token(admin, "schedule")
    year = datetime.now(UTC).year + 1
    response = Client().post(
        "/api/v3/releases/",
        json.dumps({"name": "Natten", "go_live_at": f"{year}-10-31T02:30"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "go_live_at"]
    assert "två gånger" in error["msg"] or "tvetydig" in error["msg"], error["msg"]
    assert not Release.objects.exists()
