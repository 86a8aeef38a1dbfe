"""The one row source: every planned go-live and expiry of pages and
contacts, in time order, failures first until seen, filtered by type, owner
and period, limited to what the user may see, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headless.schedule_changes import change_schedule
from planning import failures
from planning.models import EXPIRE, PUBLISH
from planning.rows import FAILED, PENDING, scheduled_changes
from tests.builders import make_page
from tests.intl_pages.admin_forms import make_user

from .conftest import ahead

pytestmark = pytest.mark.django_db


def summary(rows):
    return [(row.what, row.action, row.title, row.state) for row in rows]


def test_every_change_in_time_order_with_who_and_where(plan, moderator):
    rows = scheduled_changes()

    assert summary(rows) == [
        ("contact", EXPIRE, str(plan["contact"]), PENDING),
        ("page", PUBLISH, "Vänorter i Europa", PENDING),
        ("page", EXPIRE, "Gammalt avtal", PENDING),
    ]
    assert [row.when for row in rows] == sorted(row.when for row in rows)
    assert all(row.when.utcoffset() == timedelta(0) for row in rows)
    assert {row.scheduled_by for row in rows} == {moderator}
    contact_row, page_row, _ = rows
    assert page_row.revision_id == plan["page"].revisions.get(approved_go_live_at__isnull=False).pk
    # Never live: compared with its first revision.
    assert page_row.compare_url == (
        f"/admin/pages/{plan['page'].pk}/revisions/compare/earliest...{page_row.revision_id}/"
    )
    assert page_row.edit_url == f"/admin/pages/{plan['page'].pk}/edit/"
    assert contact_row.edit_url == f"/admin/snippets/intl_pages/contact/edit/{plan['contact'].pk}/"


def test_a_change_to_a_live_page_is_compared_with_what_is_live(moderator):
    page = make_page(title="Rockford")
    page.title = "Rockford, Illinois"
    page.save_revision()
    change_schedule(page, moderator, go_live_at=ahead(hours=5))
    [row] = scheduled_changes()
    assert row.compare_url.endswith(f"/compare/{page.live_revision_id}...{row.revision_id}/")


def test_a_failure_is_on_top_until_someone_has_seen_it(plan, moderator):
    later = plan["old"]
    failure, created = failures.record_failure(
        later, EXPIRE, ahead(days=3) + timedelta(days=30), "Sidan var låst.", scheduled_by=moderator
    )
    assert created
    assert failures.record_failure(
        later, EXPIRE, failure.due_at, "igen", scheduled_by=moderator
    ) == (failure, False)

    rows = scheduled_changes()
    assert rows[0].state == FAILED and rows[0].failure_reason == "Sidan var låst."
    assert rows[0].failure_id == failure.pk
    assert [row.state for row in rows[1:]] == [PENDING] * 3

    assert failures.acknowledge(failure.pk, moderator)
    assert [row.state for row in scheduled_changes()] == [PENDING] * 3
    assert not failures.acknowledge(failure.pk, moderator)


def test_a_failed_change_still_planned_is_one_row(plan, moderator):
    rows = scheduled_changes()
    [page_row] = [row for row in rows if row.what == "page" and row.action == PUBLISH]
    failures.record_failure(plan["page"], PUBLISH, page_row.when, "Försöken tog slut.")
    rows = [row for row in scheduled_changes() if row.title == "Vänorter i Europa"]
    assert [row.state for row in rows] == [FAILED]


def test_filters_by_type_owner_and_period(plan, moderator):
    other = make_user("annan", superuser=True)
    extra = make_page(title="Partnerskap")
    change_schedule(extra, other, expire_at=ahead(days=10))

    assert {row.what for row in scheduled_changes(kinds=["contact"])} == {"contact"}
    assert len(scheduled_changes(kinds=["page"])) == 3
    assert [row.title for row in scheduled_changes(owner=other)] == ["Partnerskap"]
    assert len(scheduled_changes(owner=moderator.pk)) == 3
    between = scheduled_changes(start=ahead(hours=36), end=ahead(days=4))
    assert [row.title for row in between] == ["Vänorter i Europa", "Gammalt avtal"]


def test_only_what_the_user_may_see(plan, db):
    outsider = get_user_model().objects.create_user("besokare")  # no groups: may edit nothing
    assert scheduled_changes(user=outsider) == []
    editor = make_user("redaktor", "Editors")
    assert len(scheduled_changes(user=editor)) == 3


@pytest.mark.parametrize("as_editor", [False, True])
def test_the_queries_do_not_grow_with_the_rows(moderator, as_editor):
    editor = make_user("redaktor", "Editors")

    def count():
        # Fetched afresh: a user object caches its permissions.
        viewer = get_user_model().objects.get(pk=editor.pk) if as_editor else None
        with CaptureQueriesContext(connection) as queries:
            rows = scheduled_changes(user=viewer)
            [(row.scheduled_by, row.edit_url, row.compare_url) for row in rows]
        return len(rows), len(queries)

    first = make_page(title="Sida 0", live=False)
    change_schedule(first, moderator, go_live_at=ahead(days=1))
    one = count()
    for number in range(1, 6):
        page = make_page(title=f"Sida {number}", live=False)
        change_schedule(page, moderator, go_live_at=ahead(days=1, minutes=number))
    six = count()
    assert (one[0], six[0]) == (1, 6)
    assert one[1] == six[1]
