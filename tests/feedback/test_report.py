"""The admin report "Sidrespons": only for users with the feedback
permission, filters that work through the results-only URL too, a summary
per page, and a CSV in which no visitor's string is a formula."""

import csv
import io

import pytest
from django.urls import reverse

from feedback.report import neutralise_formula

from .conftest import user_client


def test_without_the_feedback_permission_nothing_is_shown(answers):
    client = user_client()
    response = client.get(reverse("feedback_report"))
    assert response.status_code in (302, 403)
    assert client.get(reverse("feedback_report_results")).status_code in (302, 403)
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Sidrespons" not in menu


def test_the_report_lists_answers_and_a_summary_per_page(answers):
    client = user_client("view_feedback")
    html = client.get(reverse("feedback_report")).content.decode()

    assert "Sidrespons" in html
    assert "Bra sida." in html
    assert "SOM DEN KOM IN" not in html  # the registrar's field stays out
    # Three counted answers: one Ja of three, mean of the two ratings.
    assert "33 %" in html and "3,5" in html
    assert "Sidrespons" in client.get(reverse("wagtailadmin_home")).content.decode()


def test_filters_work_through_the_results_only_url(answers):
    client = user_client("view_feedback")
    full = client.get(reverse("feedback_report"), {"helpful": "false", "is_spam": "false"})
    results = client.get(reverse("feedback_report_results"), {"helpful": "false"})

    assert full.status_code == results.status_code == 200
    body = full.content.decode()
    assert "Bra sida." not in body and "HYPERLINK" in body
    assert "Bra sida." not in results.content.decode()


def test_the_csv_neutralises_formulas(answers):
    client = user_client("view_feedback")
    response = client.get(reverse("feedback_report"), {"export": "csv"})

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    comments = {row["Kommentar"] for row in rows}
    assert '\'=HYPERLINK("http://evil.example","klicka")' in comments
    assert "'+46 is not a formula either" in comments
    assert "'-x@example.se" in {row["E-post"] for row in rows}
    assert all(not value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())


def test_the_xlsx_export_answers(answers):
    client = user_client("view_feedback")
    response = client.get(reverse("feedback_report"), {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize(
    "value, expected",
    [("=1+1", "'=1+1"), ("@SUM", "'@SUM"), ("\tx", "'\tx"), ("Bra", "Bra"), (None, "")],
)
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected
