"""The registrar's view: the answers as received (search and export, for a
request for allmän handling), everything under one contact address and its
erasure (a visitor's GDPR request); only with the registrar's permission."""

import csv
import io

import pytest
from django.urls import reverse

from feedback.models import Feedback

from .conftest import user_client

REGISTRAR = "view_comment_as_received"


def test_only_the_registrar_sees_the_comments_as_received(answers):
    client = user_client("view_feedback")
    assert client.get(reverse("feedback_registrar")).status_code in (302, 403)
    assert client.get(reverse("feedback_registrar_results")).status_code in (302, 403)
    erase = client.post(
        reverse("feedback_registrar_erase"), {"contact_email": "-x@example.se", "confirm": "yes"}
    )
    assert erase.status_code in (302, 403)
    assert Feedback.objects.filter(contact_email="-x@example.se").exists()
    assert (
        "Sidrespons som den kom in" not in client.get(reverse("wagtailadmin_home")).content.decode()
    )


def test_search_and_export_of_the_answers_as_received(answers):
    client = user_client("view_feedback", REGISTRAR)
    html = client.get(reverse("feedback_registrar")).content.decode()
    assert "SOM DEN KOM IN: Bra sida." in html

    response = client.get(reverse("feedback_registrar"), {"export": "csv", "helpful": "true"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["Kommentar som den kom in"] for row in rows} == {
        "SOM DEN KOM IN: Bra sida.",
        "SOM DEN KOM IN: Köp klockor",
    }
    assert all(not value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())


def test_everything_under_one_address_then_erased(answers):
    client = user_client("view_feedback", REGISTRAR)
    # Posted, never in a URL (tests/security/test_personal_data.py).
    looked_up = client.post(reverse("feedback_registrar"), {"contact_email": "-X@example.se"})
    listed = client.get(looked_up["Location"])
    body = listed.content.decode()
    assert "+46 is not a formula either" in body and "Bra sida." not in body
    assert "Radera personuppgifterna" in body

    refused = client.post(reverse("feedback_registrar_erase"), {"contact_email": "-x@example.se"})
    assert refused.status_code == 302
    assert Feedback.objects.filter(contact_email="-x@example.se").exists()  # not confirmed

    done = client.post(
        reverse("feedback_registrar_erase"), {"contact_email": "-x@example.se", "confirm": "yes"}
    )
    assert done.status_code == 302
    erased = Feedback.objects.get(comment="+46 is not a formula either")
    assert (erased.contact_email, erased.comment_as_received) == ("", "")
    assert erased.personal_data_erased_at is not None
    assert Feedback.objects.exclude(comment_as_received="").count() == 3


@pytest.mark.parametrize("method", ["get"])
def test_erasure_takes_a_post_only(answers, method):
    client = user_client("view_feedback", REGISTRAR)
    response = getattr(client, method)(reverse("feedback_registrar_erase"))
    assert response.status_code == 405
