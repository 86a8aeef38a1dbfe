"""Schedules across Stockholm's daylight-saving nights: stored in UTC, and
planned by real elapsed time, not by the wall clock. `plan` takes the clock
(`now=`) and the senders (`send_publishes=`, `send_expiries=`) as arguments."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from wagtail.models import Revision

from intl_pages.models import InternationalPage
from tasks import publishing, scheduling

from .support import queued_messages

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def stored_utc(revision_id):
    """approved_go_live_at as the database keeps it, in UTC, as text."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT to_char(approved_go_live_at AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD HH24:MI:SS') FROM wagtailcore_revision WHERE id = %s",
                [revision_id],
            )
        else:
            cursor.execute(
                "SELECT strftime('%%Y-%%m-%%d %%H:%%M:%%S', approved_go_live_at) "
                "FROM wagtailcore_revision WHERE id = %s",
                [revision_id],
            )
        return cursor.fetchone()[0]


def schedule(page, go_live_at):
    page = InternationalPage.objects.get(pk=page.pk)
    page.title = "Sommartid"
    page.go_live_at = go_live_at
    revision = page.save_revision()
    revision.publish()
    return Revision.objects.get(pk=revision.pk)


class Planned:
    def __init__(self):
        self.publishes, self.expiries = [], []

    def __call__(self, now):
        self.publishes.clear()
        self.expiries.clear()
        scheduling.plan(
            now=now,
            send_publishes=lambda revision_ids, at: self.publishes.extend(
                (revision_id, at) for revision_id in revision_ids
            ),
            send_expiries=lambda ct, object_ids, at: self.expiries.extend(
                (object_id, at) for object_id in object_ids
            ),
        )
        return self


@pytest.mark.django_db
def test_go_live_just_after_spring_forward(page_db, cache_redis):
    # 2027-03-28: clocks jump from 02:00 CET to 03:00 CEST (01:00 UTC).
    go_live_at = datetime(2027, 3, 28, 3, 0, 30, tzinfo=STOCKHOLM)
    assert go_live_at.utcoffset() == timedelta(hours=2)
    revision = schedule(page_db, go_live_at)

    assert stored_utc(revision.pk) == "2027-03-28 01:00:30"
    assert revision.approved_go_live_at == datetime(2027, 3, 28, 1, 0, 30, tzinfo=UTC)

    plan = Planned()
    # 01:59 CET is 90 s before it, though the wall clock says 61½ minutes:
    # inside the two-minute horizon.
    assert plan(datetime(2027, 3, 28, 1, 59, tzinfo=STOCKHOLM)).publishes == [
        (revision.pk, datetime(2027, 3, 28, 1, 0, 30, tzinfo=UTC))
    ]
    # 01:57 CET is 3½ minutes before it: not yet.
    cache_redis.flushdb()
    assert plan(datetime(2027, 3, 28, 1, 57, tzinfo=STOCKHOLM)).publishes == []


@pytest.mark.django_db
def test_go_live_just_after_fall_back(page_db, cache_redis):
    # 2027-10-31: clocks go back from 03:00 CEST to 02:00 CET (01:00 UTC);
    # 02:00-02:59 happen twice. 03:00:30 CET is 02:00:30 UTC.
    go_live_at = datetime(2027, 10, 31, 3, 0, 30, tzinfo=STOCKHOLM)
    revision = schedule(page_db, go_live_at)
    assert stored_utc(revision.pk) == "2027-10-31 02:00:30"

    plan = Planned()
    # The first 02:59 (CEST, 00:59 UTC: what timezone.now() would return) is
    # an hour and a minute and a half before it, though the wall clock says a
    # minute and a half.
    first = datetime(2027, 10, 31, 2, 59, tzinfo=STOCKHOLM, fold=0)
    assert first.astimezone(UTC) == datetime(2027, 10, 31, 0, 59, tzinfo=UTC)
    assert plan(first.astimezone(UTC)).publishes == []
    # The second 02:59 (CET, 01:59 UTC) is 90 s before it.
    second = datetime(2027, 10, 31, 2, 59, tzinfo=STOCKHOLM, fold=1)
    assert second.astimezone(UTC) == datetime(2027, 10, 31, 1, 59, tzinfo=UTC)
    assert plan(second.astimezone(UTC)).publishes == [
        (revision.pk, datetime(2027, 10, 31, 2, 0, 30, tzinfo=UTC))
    ]


@pytest.mark.django_db
def test_plan_reads_a_stockholm_clock_as_the_same_instant(page_db, cache_redis):
    """`now=` is any aware datetime. Python adds a timedelta to a Stockholm
    time on the wall clock (02:59 CEST + 2 min = 03:01 CET, an hour and two
    minutes later), so the horizon must be computed in UTC."""
    go_live_at = datetime(2027, 10, 31, 3, 0, 30, tzinfo=STOCKHOLM)
    schedule(page_db, go_live_at)
    first = datetime(2027, 10, 31, 2, 59, tzinfo=STOCKHOLM, fold=0)  # 00:59 UTC
    assert Planned()(first).publishes == [], "queued an hour early: planned on the wall clock"


@pytest.mark.django_db
def test_expiry_across_spring_forward(page_db, cache_redis):
    page = InternationalPage.objects.get(pk=page_db.pk)
    page.expire_at = datetime(2027, 3, 28, 3, 0, 30, tzinfo=STOCKHOLM)
    page.save_revision().publish()
    plan = Planned()
    assert plan(datetime(2027, 3, 28, 1, 59, tzinfo=STOCKHOLM)).expiries == [
        (page.pk, datetime(2027, 3, 28, 1, 0, 30, tzinfo=UTC))
    ]


@pytest.mark.django_db
def test_the_queued_task_carries_the_time_in_utc(page_db, broker):
    """The exact-time task on the real broker: its ETA and its argument are
    the UTC instant, whatever the wall clock in Stockholm says."""
    go_live_at = datetime(2027, 3, 28, 3, 0, 30, tzinfo=STOCKHOLM)
    revision = schedule(page_db, go_live_at)
    publishing.queue_publishes([revision.pk], revision.approved_go_live_at)
    [message] = queued_messages(broker)
    headers = message["headers"]
    assert headers["task"] == "tasks.publish_revision"
    assert datetime.fromisoformat(headers["eta"]) == datetime(2027, 3, 28, 1, 0, 30, tzinfo=UTC)
    assert headers["argsrepr"] == repr([revision.pk, "2027-03-28T01:00:30+00:00"])
