"""The report's chart over time (SVG drawn on the server, readable without
colour, with a text alternative) and the short summary on a page's edit view,
seen only by users with the feedback permission."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from feedback.chart import STOCKHOLM, answers_over_time, render_chart, step_for
from feedback.models import Feedback
from tests.intl_pages.admin_forms import make_user

from .conftest import user_client

SVG = "{http://www.w3.org/2000/svg}"


def at(day, hour=12):
    return datetime.datetime(2026, 11, day, hour, tzinfo=STOCKHOLM)


def answer_on(page, when, helpful, rating=None, **fields):
    answer = Feedback.objects.create(
        page=page,
        page_title=page.title,
        page_url=page.full_url,
        owner_email=page.owner_email,
        helpful=helpful,
        rating=rating,
        **fields,
    )
    # created_at is auto_now_add: set the time the answer came in afterwards.
    Feedback.objects.filter(pk=answer.pk).update(created_at=when)
    return answer


@pytest.fixture
def november(page):
    answer_on(page, at(2), True, 5)
    answer_on(page, at(2, 23), False, 2)  # 23:00 in Stockholm is still the 2nd
    first = answer_on(page, at(4), False, 1)
    answer_on(page, at(4), True, follow_up_of=first)  # not a second answer
    answer_on(page, at(4), True, is_spam=True, spam_reason="honeypot")
    answer_on(page, at(9), True, 4)
    return Feedback.objects.all()


def test_the_answers_are_counted_per_stockholm_day_without_spam_or_follow_ups(november):
    step, buckets = answers_over_time(november)

    assert step == "dag"
    answered = [(b.label, b.yes, b.no) for b in buckets if b.answers]
    assert answered == [("2 nov", 1, 1), ("4 nov", 0, 1), ("9 nov", 1, 0)]
    # The days between are on the axis too, empty.
    assert [b.label for b in buckets] == [f"{day} nov" for day in range(2, 10)]
    assert buckets[0].mean_rating == 3.5 and buckets[1].mean_rating is None


@pytest.mark.parametrize(
    "days, step", [(0, "dag"), (31, "dag"), (32, "vecka"), (182, "vecka"), (183, "månad")]
)
def test_a_longer_period_is_drawn_by_week_then_by_month(days, step):
    first = datetime.date(2026, 1, 1)
    assert step_for(first, first + datetime.timedelta(days=days)) == step


def test_the_chart_is_an_image_with_a_text_alternative_and_a_table(november):
    html = render_chart(november)
    svg_text = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    svg = ET.fromstring(svg_text)  # noqa: S314 (our own output) well-formed, whatever the locale

    assert svg.get("role") == "img"
    labelled_by = svg.get("aria-labelledby").split()
    title = svg.find(f"{SVG}title")
    desc = svg.find(f"{SVG}desc")
    assert [title.get("id"), desc.get("id")] == labelled_by
    assert desc.text == (
        "4 svar per dag från 2 nov till 9 nov: 2 Ja och 2 Nej. Flest svar, 2, kom 2 nov."
    )
    # Coordinates are numbers with a point, never "12,5" from the Swedish locale.
    for rect in svg.iter(f"{SVG}rect"):
        for name in ("x", "y", "width", "height"):
            if rect.get(name) is not None:
                float(rect.get(name))
    # Without colour: Nej is a hatch pattern, and each bar says its numbers.
    assert svg.find(f"{SVG}defs/{SVG}pattern") is not None
    assert [t.text for t in svg.iter(f"{SVG}text") if "/" in (t.text or "")] == [
        "1/1",
        "0/1",
        "1/0",
    ]
    assert '<th scope="row">4 nov</th>' in html and "3,5" in html


def test_weeks_and_months_are_counted_from_their_first_day():
    from feedback.chart import bucket_starts

    weeks = list(bucket_starts(datetime.date(2026, 11, 2), datetime.date(2026, 11, 23), "vecka"))
    assert [d.day for d in weeks] == [2, 9, 16, 23]
    months = list(bucket_starts(datetime.date(2026, 11, 1), datetime.date(2027, 2, 1), "månad"))
    assert [(d.year, d.month) for d in months] == [(2026, 11), (2026, 12), (2027, 1), (2027, 2)]


def test_no_answers_draw_no_chart(page):
    assert render_chart(Feedback.objects.all()).strip() == ""


def test_the_report_shows_the_chart_of_the_filtered_answers(november):
    client = user_client("view_feedback")
    html = client.get(reverse("feedback_report")).content.decode()
    assert 'role="img"' in html and "4 svar per dag" in html

    only_yes = client.get(reverse("feedback_report_results"), {"helpful": "true"})
    assert "2 svar per dag från 2 nov till 9 nov: 2 Ja och 0 Nej" in only_yes.content.decode()


def edit_view(user, page):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.get(reverse("wagtailadmin_pages:edit", args=(page.pk,))).content.decode()


def test_the_edit_view_shows_the_page_summary_to_users_with_the_permission(november, page):
    editor = make_user("redaktor-med-sidrespons", "Editors")
    editor.user_permissions.add(Permission.objects.get(codename="view_feedback"))

    html = edit_view(editor, page)
    assert "Sidrespons: 4 svar, 50 % Ja, medelbetyg 3,0" in html
    assert f"{reverse('feedback_report')}?page={page.pk}" in html


def test_the_edit_view_shows_nothing_without_the_permission(november, page):
    html = edit_view(make_user("redaktor", "Editors"), page)
    assert "Sidrespons:" not in html


def test_the_report_link_filters_one_page(november, page):
    other = answer_on(page, timezone.now(), True)
    Feedback.objects.filter(pk=other.pk).update(page=None, page_title="En borttagen sida")
    client = user_client("view_feedback")
    html = client.get(reverse("feedback_report"), {"page": page.pk}).content.decode()
    assert "En borttagen sida" not in html
    assert "Vänorter" in html
