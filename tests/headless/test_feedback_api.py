"""`POST /api/v3/feedback/`: the same action as the page's form (validation,
redaction, bot checks, rate limit, storage), strict types, Swedish field
errors, and every refusal a documented JSON 4xx."""

import json

import pytest

from feedback.models import Feedback
from tests.builders import make_page
from tests.feedback.conftest import aged_token

URL = "/api/v3/feedback/"


@pytest.fixture
def page(db):
    return make_page(title="Vänorter", owner_email="naringsliv@example.org")


def post(client, payload, **headers):
    return client.post(URL, json.dumps(payload), content_type="application/json", **headers)


def test_an_answer_is_saved_redacted_through_the_forms_action(client, page, limiter_redis):
    response = post(
        client,
        {
            "page": page.pk,
            "helpful": "no",
            "rating": 2,
            "comment": "Ring mig på 070-123 45 67\x00 tack",
            "email": "besokare@example.se",
            "token": aged_token(page.pk),
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["ok"] is True and response.json()["answer"]
    answer = Feedback.objects.get()
    assert (answer.helpful, answer.rating, answer.is_spam) == (False, 2, False)
    assert "070" not in answer.comment and "\x00" not in answer.comment_as_received
    assert answer.contact_email == "besokare@example.se"
    assert answer.owner_email == "naringsliv@example.org"


def test_the_reference_adds_to_the_same_answer(client, page, limiter_redis):
    first = post(client, {"page": page.pk, "helpful": "yes", "token": aged_token(page.pk)})
    reference = first.json()["answer"]
    token = aged_token(page.pk)
    post(
        client,
        {"page": page.pk, "helpful": "yes", "rating": 5, "answer": reference, "token": token},
    )
    assert list(Feedback.objects.values_list("rating", flat=True)) == [5]


def test_without_a_valid_token_it_is_saved_as_spam(client, page, limiter_redis):
    assert post(client, {"page": page.pk, "helpful": "yes", "token": "x"}).status_code == 201
    assert Feedback.objects.get().is_spam


@pytest.mark.parametrize(
    "payload, field, message",
    [
        ({"helpful": "kanske"}, "helpful", "Värdet är inte ett av de tillåtna."),
        ({"helpful": "yes", "rating": "5"}, "rating", "Ange ett heltal (inte en text)."),
        ({"helpful": "yes", "rating": 6}, "rating", "Värdet är för stort."),
        ({"helpful": "yes", "comment": "x" * 2001}, "comment", "Texten är för lång."),
        ({"helpful": "yes", "colour": "röd"}, "colour", "Fältet är okänt."),
        ({}, "helpful", "Fältet måste fyllas i."),
    ],
)
def test_what_the_schema_forbids_is_a_422_in_swedish(client, page, payload, field, message):
    response = post(client, {"page": page.pk, **payload})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = {error["loc"][-1]: error["msg"] for error in response.json()["errors"]}
    assert errors[field] == message
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("email", ["inte-en-adress", "a@example.se\r\nBcc: x@example.se"])
def test_a_bad_address_is_refused_with_the_forms_message(client, page, limiter_redis, email):
    response = post(client, {"page": page.pk, "helpful": "yes", "email": email})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"][-1] == "email" and "e-post" in error["msg"].lower()
    assert not Feedback.objects.exists()


def test_broken_json_is_a_4xx(client, page):
    response = client.post(URL, "{inte json", content_type="application/json")
    assert 400 <= response.status_code < 500


def test_a_page_that_is_not_live_is_a_404(client, page):
    draft = make_page(title="Utkast", live=False)
    response = post(client, {"page": draft.pk, "helpful": "yes"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_foreign_origin_is_a_403(client, page, settings):
    settings.FEEDBACK_ALLOWED_ORIGINS = ["https://front.example.org"]
    refused = post(client, {"page": page.pk, "helpful": "yes"}, HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403
    allowed = post(
        client, {"page": page.pk, "helpful": "yes"}, HTTP_ORIGIN="https://front.example.org"
    )
    assert allowed.status_code == 201


def test_over_the_rate_limit_a_429_with_retry_after(client, page, settings, limiter_redis):
    settings.FEEDBACK_RATE_LIMIT = 2
    statuses = [post(client, {"page": page.pk, "helpful": "yes"}).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    limited = post(client, {"page": page.pk, "helpful": "yes"})
    assert int(limited["Retry-After"]) > 0
    assert Feedback.objects.count() == 2


def test_a_fresh_token_is_never_cached_and_makes_an_answer_count(client, page, limiter_redis):
    response = client.get("/api/v3/feedback/token/", {"page": page.pk})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    token = response.json()["token"]
    assert token.startswith(f"{page.pk}:")
    assert client.get("/api/v3/feedback/token/", {"page": page.pk, "x": "1"}).status_code == 400
    draft = make_page(title="Utkast", live=False)
    assert client.get("/api/v3/feedback/token/", {"page": draft.pk}).status_code == 404
