""" "Rapportera brist i tillgängligheten": a form of its own, without a script,
through the same action as the feedback widget (validation, bot checks, rate
limit, redaction, storage as received), stored as its own kind, counted in no
figure, in the statement owner's digest (a real SMTP server), and erased by
the same retention. With the database really stopped:
tests/security/test_database_away.py."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from feedback import retention
from feedback.forms import same_site_path
from feedback.models import Feedback, FeedbackKind
from feedback.report import page_summary
from intl_pages.models import AccessibilityStatementPage

from .conftest import aged_token
from .test_digests import body_of, smtp  # noqa: F401  (the SMTP server fixture)

PROBLEM = "Kartan går inte att använda med tangentbord. Ring mig på 070-123 45 67."


@pytest.fixture
def statement(demo_page):
    return AccessibilityStatementPage.objects.get()


def form_url(statement):
    return reverse("feedback:report", args=[statement.pk])


def report_data(statement, **fields):
    data = {"problem": PROBLEM, "location": "/internationella-samarbeten/"}
    data["token"] = aged_token(statement.pk)
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def test_the_form_is_filled_in_with_the_page_the_visitor_came_from(client, statement):
    url = form_url(statement)
    soup = BeautifulSoup(
        client.get(url, {"sida": "/internationella-samarbeten/"}).content, "html.parser"
    )
    assert soup.find("input", {"name": "location"})["value"] == "/internationella-samarbeten/"
    assert not soup.find("input", {"name": "helpful"})  # no yes/no question
    assert soup.find("textarea", {"name": "problem"})
    assert soup.find("input", {"name": "token"})["value"]
    # From the Referer, on this site only; never another site's.
    referred = client.get(url, HTTP_REFERER="http://testserver/?q=namn%40example.se")
    assert 'value="/"' in referred.content.decode()
    foreign = client.get(
        url, {"sida": "https://evil.example/x"}, HTTP_REFERER="https://evil.example/"
    )
    location = BeautifulSoup(foreign.content, "html.parser").find("input", {"name": "location"})
    assert location["value"] == ""
    assert foreign["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize(
    "value, path",
    [
        ("/internationella-samarbeten/", "/internationella-samarbeten/"),
        ("http://testserver/a/?email=x@example.se#f", "/a/"),
        ("https://TESTSERVER/b/", "/b/"),
        ("", ""),
        ("https://evil.example/a/", None),
        ("//evil.example/a/", None),
        ("javascript:alert(1)", None),
        ("startsidan", None),
        ("/\\evil.example", None),
    ],
)
def test_only_paths_of_this_site_are_a_location(value, path):
    assert same_site_path(value, "testserver") == path


def test_a_report_without_javascript_is_stored_as_its_own_kind_redacted(client, statement):
    response = client.post(form_url(statement), report_data(statement, email="besokare@example.se"))
    assert response.status_code == 303
    assert response["Location"] == f"{form_url(statement)}?tack=1&sida=/internationella-samarbeten/"
    thanks = client.get(response["Location"]).content.decode()
    assert "Tack! Vi har tagit emot din rapport." in thanks
    assert 'href="/internationella-samarbeten/"' in thanks

    report = Feedback.objects.get()
    assert report.kind == FeedbackKind.ACCESSIBILITY_REPORT
    assert report.helpful is None and not report.is_spam
    assert report.page_id == statement.pk
    assert report.owner_email == "webbredaktionen@lidkoping.se"
    assert report.location == "/internationella-samarbeten/"
    assert report.comment_as_received == PROBLEM
    assert "070-123 45 67" not in report.comment and "Kartan" in report.comment
    assert report.contact_email == "besokare@example.se"


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"problem": "  "}, "problem", "Beskriv problemet"),
        ({"location": "https://evil.example/"}, "location", "Skriv adressen till en sida"),
        ({"email": "inte en adress"}, "email", "Skriv en giltig e-postadress"),
    ],
)
def test_bad_input_is_a_400_in_swedish_with_the_text_kept(
    client, statement, fields, field, message
):
    response = client.post(form_url(statement), report_data(statement, **fields))
    assert response.status_code == 400
    soup = BeautifulSoup(response.content, "html.parser")
    summary = soup.select_one(".error-summary[role=alert]")
    assert message in summary.get_text()
    assert summary.find("a")["href"] == f"#id_{field}"
    assert soup.find(id=f"id_{field}")["aria-invalid"] == "true"
    assert soup.title.get_text().startswith("Fel:")
    if field != "problem":
        assert PROBLEM in soup.find("textarea", {"name": "problem"}).get_text()
    assert not Feedback.objects.exists()


def test_the_form_is_only_for_the_statement(client, statement, demo_page):
    assert client.get(reverse("feedback:report", args=[demo_page.pk])).status_code == 404
    posted = client.post(reverse("feedback:report", args=[demo_page.pk]), report_data(statement))
    assert posted.status_code == 404
    assert (
        client.post(
            form_url(statement), report_data(statement), HTTP_ORIGIN="https://evil.example"
        ).status_code
        == 403
    )
    assert not Feedback.objects.exists()


def test_a_bot_is_caught_like_in_the_widget(client, statement):
    client.post(form_url(statement), report_data(statement, website="http://spam.example"))
    client.post(form_url(statement), report_data(statement, token=None))
    assert list(Feedback.objects.values_list("spam_reason", flat=True).order_by("pk")) == [
        "honeypot",
        "token saknas",
    ]
    assert not Feedback.objects.unsent().exists()  # never in a digest


def test_reports_share_the_widgets_rate_limit(
    client, statement, demo_page, limiter_redis, settings
):
    settings.FEEDBACK_RATE_LIMIT = 2
    address = {"REMOTE_ADDR": "198.51.100.9"}
    answer = {"helpful": "yes", "token": aged_token(demo_page.pk)}
    assert (
        client.post(reverse("feedback:post", args=[demo_page.pk]), answer, **address).status_code
        == 303
    )
    assert client.post(form_url(statement), report_data(statement), **address).status_code == 303
    refused = client.post(form_url(statement), report_data(statement), **address)
    assert refused.status_code == 429 and refused["Retry-After"]
    assert "Vi har fått många svar" in refused.content.decode()
    assert Feedback.objects.count() == 2


def test_a_report_counts_for_nothing(client, statement, demo_page):
    client.post(form_url(statement), report_data(statement))
    Feedback.objects.create(
        page=demo_page,
        page_title=demo_page.title,
        page_url=demo_page.full_url,
        owner_email=demo_page.owner_email,
        helpful=True,
        rating=5,
    )
    assert Feedback.objects.figures()["answers"] == 1
    rows = page_summary(Feedback.objects.all())
    assert [(row["page_id"], row["answers"]) for row in rows] == [(demo_page.pk, 1)]


def test_the_report_reaches_the_statement_owner_in_the_digest(client, statement, smtp):  # noqa: F811
    client.post(form_url(statement), report_data(statement, email="besokare@example.se"))

    call_command("send_feedback_digests", "--all")

    [message] = smtp.messages()
    assert message["To"] == "webbredaktionen@lidkoping.se"
    assert "1 rapport om brister i tillgängligheten" in message["Subject"]
    text = body_of(message, "plain")
    assert "== Rapporter om brister i tillgängligheten ==" in text
    came_from = statement.full_url.removesuffix(statement.url) + "/internationella-samarbeten/"
    assert f"på sidan {came_from}:" in text
    assert "Kartan går inte att använda" in text and "070-123 45 67" not in text
    assert "besokare@example.se" in text
    html = body_of(message, "html")
    assert "<h2" in html and "Rapporter om brister i tillgängligheten</h2>" in html
    assert f'href="{came_from}"' in html
    assert "Ja:" not in text  # no answers: no figures


def test_retention_erases_a_report_like_an_answer(client, statement, settings):
    client.post(form_url(statement), report_data(statement, email="besokare@example.se"))
    later = timezone.now() + timedelta(days=settings.FEEDBACK_RETENTION_DAYS + 1)

    assert retention.erase_expired(now=later) == 1

    report = Feedback.objects.get()
    assert (report.contact_email, report.comment_as_received) == ("", "")
    assert report.personal_data_erased_at == later
    assert report.comment and report.location  # the redacted report stays


def test_the_admin_report_lists_reports_apart_and_counts_them_nowhere(client, statement):
    from .conftest import user_client

    client.post(form_url(statement), report_data(statement))
    editor = user_client("view_feedback")
    html = editor.get(reverse("feedback_report"), {"kind": "accessibility"}).content.decode()
    assert "Rapport om tillgänglighet" in html
    assert "Sammanfattning per sida" not in html  # no answers: no summary, no chart
    response = editor.get(reverse("feedback_report"), {"export": "csv"})
    export = b"".join(response.streaming_content).decode()
    assert "Rapporterad sida" in export and "/internationella-samarbeten/" in export
