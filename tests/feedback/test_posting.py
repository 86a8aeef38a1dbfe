"""A visitor's answer through the widget's form, as a browser without
JavaScript posts it: saved in the request, refused with a Swedish message and
a 4xx when it is invalid (and then never stored), flagged, not refused, when
the bot checks catch it."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from wagtail.models import PageViewRestriction

from feedback import tokens
from feedback.models import Feedback
from tests.builders import make_page

from .conftest import aged_token, answer_data


def post(page, data, client=None, **headers):
    client = client or Client()
    return client.post(reverse("feedback:post", args=[page.pk]), data, **headers)


@pytest.fixture(autouse=True)
def _limiter(limiter_redis):
    yield


def test_a_bare_yes_is_an_answer_saved_at_once(page):
    response = post(page, answer_data(page))

    assert response.status_code == 303
    assert response["Location"] == f"{page.url}?tack=1#feedback"
    answer = Feedback.objects.get()
    assert (answer.helpful, answer.rating, answer.comment, answer.is_spam) == (
        True,
        None,
        "",
        False,
    )
    # As the page was when the answer came.
    assert (answer.page_id, answer.page_title, answer.owner_email) == (
        page.pk,
        "Vänorter",
        "naringsliv@example.org",
    )
    assert answer.page_url.endswith(page.url)


def test_the_whole_form_in_one_post(page):
    response = post(
        page,
        answer_data(
            page, helpful="no", rating="2", comment="Kartan saknas.", email="besok@example.se"
        ),
    )

    assert response.status_code == 303
    answer = Feedback.objects.get()
    assert (answer.helpful, answer.rating) == (False, 2)
    assert answer.comment == answer.comment_as_received == "Kartan saknas."
    assert answer.contact_email == "besok@example.se"


def test_the_thanks_is_a_page_of_its_own_without_a_cookie(page):
    response = Client().get(f"{page.url}?tack=1")

    assert response.status_code == 200
    assert not response.cookies
    soup = BeautifulSoup(response.content, "html.parser")
    status = soup.select_one("[role=status]")
    assert "Tack för att du hjälper oss att göra kommunens webbplats bättre!" in status.text
    assert soup.select_one("form[data-feedback-form]") is None


def test_the_page_carries_the_form_and_no_per_visitor_state(page):
    first = Client().get(page.url)
    second = Client().get(page.url)

    assert not first.cookies and not second.cookies
    soup = BeautifulSoup(first.content, "html.parser")
    form = soup.select_one("form[data-feedback-form]")
    assert form["action"] == reverse("feedback:post", args=[page.pk])
    assert "csrfmiddlewaretoken" not in first.content.decode()
    names = {field["name"] for field in form.select("[name]")}
    assert {"helpful", "rating", "comment", "email", "token", "website"} <= names
    # The live regions are there from the start, empty.
    assert soup.select_one("[role=status]").text.strip() == ""
    assert soup.select_one("[role=alert]").text.strip() == ""


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"helpful": None}, "helpful", "Välj Ja eller Nej."),
        ({"helpful": "kanske"}, "helpful", "Välj Ja eller Nej."),
        ({"rating": "0"}, "rating", "Välj ett betyg från 1 till 5."),
        ({"rating": "6"}, "rating", "Välj ett betyg från 1 till 5."),
        ({"rating": "fem"}, "rating", "Välj ett betyg från 1 till 5."),
        ({"comment": "x" * 2001}, "comment", "Skriv högst 2 000 tecken (du har skrivit 2001)."),
        ({"email": "inte en adress"}, "email", "Skriv en giltig e-postadress"),
        ({"email": "a@example.se\nBcc: b@example.se"}, "email", "e-postadress"),
        ({"email": "a@example.se, b@example.se"}, "email", "e-postadress"),
    ],
)
def test_invalid_input_is_refused_with_the_page_and_its_error_summary(page, fields, field, message):
    data = answer_data(page, comment="Mitt svar som inte får försvinna.", **{"email": None})
    data.update({k: v for k, v in fields.items() if v is not None})
    for k, v in fields.items():
        if v is None:
            data.pop(k, None)

    response = post(page, data)

    assert response.status_code == 400
    assert not Feedback.objects.exists()
    soup = BeautifulSoup(response.content, "html.parser")
    summary = soup.select_one("[role=alert] .error-summary")
    link = summary.select_one("a")
    assert message in link.text
    target = soup.select_one(link["href"])
    assert target is not None, "the summary links to the field"
    assert field in (target.get("name") or target.get("id"))
    # The same words beside the field.
    assert any(message in p.text for p in soup.select(".field-error"))
    # Nothing the visitor typed is cleared.
    if field != "comment":
        assert soup.select_one("textarea[name=comment]").text == "Mitt svar som inte får försvinna."


def test_a_page_that_is_not_live_and_public_is_404(page):
    draft = make_page(title="Utkast", live=False)
    private = make_page(title="Intern")
    PageViewRestriction.objects.create(page=private, restriction_type="login")

    for target in (draft, private):
        assert post(target, answer_data(target)).status_code == 404
    assert Client().post("/feedback/999999/", answer_data(page)).status_code == 404
    assert not Feedback.objects.exists()


def test_a_body_over_the_limit_is_413(page, settings):
    settings.FEEDBACK_MAX_BODY_BYTES = 1000
    response = post(page, answer_data(page, comment="x" * 1500))

    assert response.status_code == 413
    assert "för stort" in response.content.decode()
    assert not Feedback.objects.exists()


def test_a_foreign_origin_is_refused_and_the_own_and_allowed_ones_accepted(page, settings):
    settings.FEEDBACK_ALLOWED_ORIGINS = ["https://app.example.org"]

    assert post(page, answer_data(page), HTTP_ORIGIN="https://evil.example").status_code == 403
    assert post(page, answer_data(page), HTTP_REFERER="https://evil.example/x").status_code == 403
    assert not Feedback.objects.exists()
    assert post(page, answer_data(page), HTTP_ORIGIN="http://testserver").status_code == 303
    assert post(page, answer_data(page), HTTP_ORIGIN="https://app.example.org").status_code == 303
    assert (
        post(page, answer_data(page), HTTP_REFERER=f"http://testserver{page.url}").status_code
        == 303
    )
    assert post(page, answer_data(page)).status_code == 303  # neither header
    assert Feedback.objects.count() == 4


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"website": "http://spam.example"}, "honeypot"),
        ({"token": None}, "token saknas"),
        ({"token": "1:abc:def"}, "ogiltig token"),
        ({"token": "fresh"}, "för snabbt"),
        ({"token": "other-page"}, "ogiltig token"),
    ],
)
def test_what_the_bot_checks_catch_is_answered_alike_and_stored_as_spam(page, fields, reason):
    data = answer_data(page)
    if fields.get("token") is None and "token" in fields:
        data.pop("token")
    elif fields.get("token") == "fresh":
        data["token"] = tokens.form_token(page.pk)
    elif fields.get("token") == "other-page":
        data["token"] = aged_token(page.pk + 1)
    else:
        data.update(fields)

    response = post(page, data)

    assert response.status_code == 303  # as for any other answer
    answer = Feedback.objects.get()
    assert (answer.is_spam, answer.spam_reason) == (True, reason)
    assert not Feedback.objects.counted().exists()


def test_a_shared_token_is_not_spam(page):
    token = aged_token(page.pk)
    post(page, answer_data(page, token=token))
    post(page, answer_data(page, token=token, helpful="no"))

    assert Feedback.objects.counted().count() == 2


def test_later_steps_add_to_the_same_answer(page):
    client = Client()
    first = post(page, answer_data(page), client, HTTP_ACCEPT="application/json")
    assert first.status_code == 201
    reference = first.json()["answer"]

    second = post(
        page,
        answer_data(page, rating="4", comment="Bra sida.", answer=reference),
        client,
        HTTP_ACCEPT="application/json",
    )

    assert second.status_code == 201
    answer = Feedback.objects.get()
    assert (answer.helpful, answer.rating, answer.comment) == (True, 4, "Bra sida.")


def test_a_tampered_reference_adds_nothing_to_another_answer(page):
    post(page, answer_data(page))
    original = Feedback.objects.get()

    post(page, answer_data(page, rating="1", answer=tokens.answer_reference(original.pk) + "x"))

    original.refresh_from_db()
    assert original.rating is None
    assert Feedback.objects.count() == 2


def test_json_errors_are_swedish_field_errors(page):
    response = post(page, answer_data(page, rating="9"), HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert response.json() == {"ok": False, "errors": {"rating": ["Välj ett betyg från 1 till 5."]}}


def test_a_fresh_token_for_a_live_page_only(page):
    response = Client().get(reverse("feedback:token", args=[page.pk]))

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert tokens.form_token_age(response.json()["token"], page.pk) is not None
    draft = make_page(title="Utkast", live=False)
    assert Client().get(reverse("feedback:token", args=[draft.pk])).status_code == 404


def test_personal_data_stays_in_the_comment_as_received_only(page):
    typed = "Ring mig på 070-123 45 67 eller skriv till kim@example.se, pnr 19121212-1212."
    post(page, answer_data(page, helpful="no", comment=typed))

    answer = Feedback.objects.get()
    assert answer.comment_as_received == typed
    for personal in ("070-123 45 67", "kim@example.se", "19121212-1212"):
        assert personal not in answer.comment
    assert answer.comment.startswith("Ring mig på ")


def test_an_answer_outlives_its_page(page):
    post(page, answer_data(page, helpful="no"))
    page.delete()

    answer = Feedback.objects.get()
    assert answer.page_id is None
    assert answer.page_title == "Vänorter"


def test_a_broken_body_is_a_400_in_swedish_never_a_500(page):
    client = Client(raise_request_exception=False)
    url = reverse("feedback:post", args=[page.pk])

    broken_multipart = client.post(
        url,
        data=b"--x\r\nContent-Disposition: form-data\r\n\r\nnot closed",
        content_type="multipart/form-data; boundary=",
    )
    not_utf8 = client.post(
        url, data=b"helpful=yes&comment=\xff\xfe", content_type="application/x-www-form-urlencoded"
    )
    bad_length = client.post(url, answer_data(page), CONTENT_LENGTH="tolv")

    assert broken_multipart.status_code == 400
    assert "Svaret gick inte att läsa" in broken_multipart.content.decode()
    # Django decodes a form body with replacement characters: saved (without
    # a token, as spam), never a 500.
    assert not_utf8.status_code == 303
    assert bad_length.status_code == 413
    bad_referer = client.post(url, answer_data(page), HTTP_REFERER="http://[")
    assert bad_referer.status_code == 403


def test_an_addition_to_an_answer_already_in_a_digest_is_a_follow_up(page):
    from feedback import digests

    first = post(page, answer_data(page), HTTP_ACCEPT="application/json").json()["answer"]
    digests.gather_due(everything=True)

    post(page, answer_data(page, rating="5", answer=first), HTTP_ACCEPT="application/json")

    original, follow_up = Feedback.objects.order_by("pk")
    assert original.rating is None and original.digest_id is not None
    assert (follow_up.rating, follow_up.follow_up_of_id) == (5, original.pk)
