"""Releases on the overview: a scheduled release is one row, in time order
with the per-object schedules, on "Schemalagt", the dashboard, the API and
the calendar feed's source; one in conflict or failed is on top, a failed one
until someone opens it."""

import re

import pytest
from django.urls import reverse

from intl_pages.models import InternationalPage
from planning.rows import CONFLICT, FAILED, PENDING, scheduled_changes
from releases import actions
from releases.models import Release, ReleaseState
from tests.builders import make_page

from .conftest import ahead

pytestmark = pytest.mark.django_db

REPORT = "/admin/reports/schemalagt/"


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def release(moderator):
    page = make_page(title="Avtal med Rockford")
    InternationalPage.objects.get(pk=page.pk).save_revision()
    release = actions.create_release("Nytt partnerskap med Rockford", moderator)
    actions.add_item(release, InternationalPage.objects.get(pk=page.pk), moderator)
    return actions.schedule_release(release, ahead(days=2), moderator)


def release_rows(user=None):
    return [row for row in scheduled_changes(user=user) if row.kind == "release"]


def test_a_scheduled_release_is_a_row_among_the_others(plan, release, moderator, client):
    rows = scheduled_changes(user=moderator)
    kinds = [(row.kind, row.title) for row in rows]
    assert ("release", "Nytt partnerskap med Rockford") in kinds
    times = [row.when for row in rows]
    assert times == sorted(times), "in time order"
    (row,) = release_rows(moderator)
    assert row.state == PENDING and row.what_label == "utgåva"
    assert row.edit_url == reverse("releases_admin:detail", args=[release.pk])
    assert row.scheduled_by == moderator

    client.force_login(moderator)
    body = text(client.get(REPORT))
    assert "Nytt partnerskap med Rockford (utgåva)" in body
    assert "Flytta, avbryt eller förhandsgranska" in body


def test_a_release_in_conflict_is_on_top(plan, release, moderator):
    page = InternationalPage.objects.get(title="Avtal med Rockford")
    page.save_revision().publish()  # published directly, past the release
    rows = scheduled_changes(user=moderator)
    assert rows[0].kind == "release" and rows[0].state == CONFLICT
    assert rows[0].failure_reason


def test_a_failed_release_is_on_top_until_someone_opens_it(plan, release, moderator, client):
    Release.objects.filter(pk=release.pk).update(
        state=ReleaseState.FAILED,
        failed_at=release.go_live_at,
        failure_reasons={"items": {"1": "Sidan har tagits bort."}},
    )
    rows = scheduled_changes(user=moderator)
    assert rows[0].kind == "release" and rows[0].state == FAILED
    assert rows[0].failure_reason == "Sidan har tagits bort."

    client.force_login(moderator)
    assert client.get(reverse("releases_admin:detail", args=[release.pk])).status_code == 200
    assert release_rows(moderator) == [], "looked at: off the overview"
    assert Release.objects.get(pk=release.pk).failure_seen_by == moderator


def test_the_api_lists_the_release(plan, release, moderator):
    from headless.schedule_api import _row_out

    (row,) = release_rows(moderator)
    out = _row_out(row)
    assert out["what"] == "release" and out["id"] == release.pk
    assert out["title"] == "Nytt partnerskap med Rockford"
