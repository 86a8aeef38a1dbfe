"""Digests to the page owner's mailbox, through a real SMTP server (aiosmtpd):
one per owner address, escaped, sent once; retried while the server is down;
the identical message (same Message-ID) re-sent after a crash between the
server's acceptance and the mark, and nothing else ever repeated."""

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone

from feedback import digests, retention
from feedback.models import Digest, DigestFrequency, DigestStatus, Feedback, OwnerMailbox
from tests.builders import make_page
from tests.ports import free_port


class Mailbox:
    def __init__(self):
        self.envelopes = []
        self.sessions = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.sessions.append(session.peer)  # a new connection has a new port
        return "250 OK"

    def messages(self):
        return [
            email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes
        ]


@pytest.fixture
def smtp(settings):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "webbplatsen@lidkoping.example.org"
    settings.FEEDBACK_BOUNCE_ADDRESS = "studsar@lidkoping.example.org"
    yield mailbox
    controller.stop()


def answer(page, helpful=True, rating=None, comment="", contact_email="", **fields):
    return Feedback.objects.create(
        page=page,
        page_title=page.title,
        page_url=page.full_url,
        owner_email=page.owner_email,
        helpful=helpful,
        rating=rating,
        comment=comment,
        comment_as_received=comment,
        contact_email=contact_email,
        **fields,
    )


def body_of(message, subtype):
    return message.get_body(preferencelist=(subtype,)).get_content()


@pytest.fixture
def pages(db):
    return {
        "towns": make_page(title="Vänorter", owner_email="naringsliv@example.org"),
        "rockford": make_page(title="Rockford", owner_email="naringsliv@example.org"),
        "school": make_page(title="Skolor", owner_email="skola@example.org"),
    }


def test_one_digest_per_owner_address_then_nothing(pages, smtp):
    answer(pages["towns"], True, 5, "Mycket bra.")
    answer(pages["towns"], False, 2, "Kartan saknas.", "besokare@example.se")
    answer(pages["rockford"], True)
    answer(pages["school"], False, 1)
    answer(pages["towns"], True, 5, "Köp billiga klockor", is_spam=True, spam_reason="honeypot")

    call_command("send_feedback_digests", "--all")

    assert sorted(tuple(e.rcpt_tos) for e in smtp.envelopes) == [
        ("naringsliv@example.org",),
        ("skola@example.org",),
    ]
    assert {e.mail_from for e in smtp.envelopes} == {"studsar@lidkoping.example.org"}
    [owner] = [m for m in smtp.messages() if m["To"] == "naringsliv@example.org"]
    assert owner["From"] == "webbplatsen@lidkoping.example.org"
    text = body_of(owner, "plain")
    assert "== Vänorter ==" in text and "== Rockford ==" in text
    assert "Ja: 1   Nej: 1   Medelbetyg: 3,5 av 5 (2 betyg)" in text
    assert "Kartan saknas." in text and "besokare@example.se" in text
    assert "Köp billiga klockor" not in text  # spam stays out
    html = body_of(owner, "html")
    assert 'href="mailto:besokare@example.se"' in html
    assert Feedback.objects.counted().filter(digest__status=DigestStatus.SENT).count() == 4

    # One SMTP connection carried both digests.
    assert len(set(smtp.sessions)) == 1
    # A second run sends nothing.
    call_command("send_feedback_digests", "--all")
    assert len(smtp.envelopes) == 2


def test_the_digest_links_to_each_page_and_to_its_answers_in_the_report(pages, smtp, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://cms.lidkoping.example.org"
    answer(pages["towns"], True, 4, "Tydligt.")

    call_command("send_feedback_digests", "--all")

    [message] = smtp.messages()
    report = "https://cms.lidkoping.example.org/admin/reports/sidrespons/"
    page_report = f"{report}?page={pages['towns'].pk}"
    text = body_of(message, "plain")
    assert f"Sidan: {pages['towns'].full_url}" in text
    assert f"Sidans svar i Sidrespons: {page_report}" in text
    assert f"finns i rapporten Sidrespons: {report}\r\n" in text
    html = body_of(message, "html")
    assert f'<a href="{pages["towns"].full_url}">Vänorter</a>' in html
    assert f'<a href="{page_report}">Sidans svar i Sidrespons</a>' in html


def test_every_visitor_string_is_escaped_in_the_html_part(pages, smtp):
    answer(pages["towns"], False, None, '<script>alert("x")</script> & <b>fet</b>')

    call_command("send_feedback_digests", "--all")

    [message] = smtp.messages()
    html = body_of(message, "html")
    assert "<script>" not in html and "<b>fet</b>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert '<script>alert("x")</script>' in body_of(message, "plain")


def test_the_message_id_is_derived_from_the_digest_key(pages, smtp):
    first = answer(pages["school"], True)

    digests.send_due(everything=True)

    digest = Digest.objects.get()
    assert digest.key == digests.digest_key("skola@example.org", [first.pk])
    [message] = smtp.messages()
    assert message["Message-ID"].strip() == digest.message_id == digests.message_id_for(digest.key)


def test_smtp_down_then_back_retries_and_marks_nothing_sent_that_was_not(pages, smtp, settings):
    answer(pages["school"], False, 2, "Fel telefonnummer.")
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens: the server is down

    assert digests.send_due(everything=True) == {"retry": 1}
    digest = Digest.objects.get()
    assert digest.status == DigestStatus.PENDING and digest.attempts == 1
    assert digest.next_attempt_at > timezone.now()
    assert digest.last_error
    assert not Feedback.objects.filter(digest__status=DigestStatus.SENT).exists()
    # Not due again before its time.
    assert digests.send_due() == {}

    settings.EMAIL_PORT = port
    later = digest.next_attempt_at + timedelta(seconds=1)
    assert digests.send_due(now=later) == {"sent": 1}
    assert len(smtp.envelopes) == 1
    assert Digest.objects.get().status == DigestStatus.SENT


def test_a_crash_between_acceptance_and_mark_resends_the_identical_message(pages, smtp):
    answer(pages["school"], True, 4)
    [digest_id] = digests.gather_due(everything=True)
    now = timezone.now()
    # A worker claims the digest, the server accepts it, the worker dies.
    assert digests.claim(digest_id, now)
    digests.message(Digest.objects.get(pk=digest_id)).send()
    assert Digest.objects.get(pk=digest_id).status == DigestStatus.SENDING

    # Not while the claim may still be a live worker's...
    assert digests.send(digest_id, now=now + timedelta(minutes=1)) == "skipped"
    # ...then as is.
    assert digests.send(digest_id, now=now + digests.STALE_CLAIM + timedelta(seconds=1)) == "sent"

    first, second = smtp.messages()
    assert first["Message-ID"] == second["Message-ID"]
    assert body_of(first, "plain") == body_of(second, "plain")
    assert Digest.objects.count() == 1


def test_a_duplicate_send_task_does_nothing(pages, smtp):
    answer(pages["school"], True)
    [digest_id] = digests.gather_due(everything=True)

    assert digests.send(digest_id) == "sent"
    assert digests.send(digest_id) == "skipped"
    assert len(smtp.envelopes) == 1


STOCKHOLM_0700_WINTER = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # Wednesday 07:00 CET
STOCKHOLM_0700_SUMMER = datetime(2026, 6, 3, 5, 0, tzinfo=UTC)  # Wednesday 07:00 CEST


@pytest.mark.parametrize(
    "now, frequency, cutoff",
    [
        (STOCKHOLM_0700_WINTER + timedelta(minutes=1), "daily", STOCKHOLM_0700_WINTER),
        (
            STOCKHOLM_0700_WINTER - timedelta(minutes=1),
            "daily",
            STOCKHOLM_0700_WINTER - timedelta(days=1),
        ),
        (STOCKHOLM_0700_SUMMER + timedelta(hours=3), "daily", STOCKHOLM_0700_SUMMER),
        # Wednesday: back to Monday 07:00.
        (
            STOCKHOLM_0700_WINTER + timedelta(hours=1),
            "weekly",
            STOCKHOLM_0700_WINTER - timedelta(days=2),
        ),
        # The day after the clocks went back: 07:00 is 06:00 UTC, not 05:00.
        (
            datetime(2026, 10, 26, 6, 30, tzinfo=UTC),
            "daily",
            datetime(2026, 10, 26, 6, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 10, 26, 5, 30, tzinfo=UTC),
            "daily",
            datetime(2026, 10, 25, 6, 0, tzinfo=UTC),
        ),
    ],
)
def test_daily_and_weekly_digests_are_due_at_0700_stockholm_time(now, frequency, cutoff):
    assert digests.due_cutoff(frequency, now) == cutoff


def test_each_owner_address_gets_its_digest_at_its_own_frequency(pages, smtp):
    OwnerMailbox.objects.create(email="skola@example.org", frequency=DigestFrequency.IMMEDIATE)
    answer(pages["school"], True)
    answer(pages["towns"], True)  # daily (the default): not before 07:00

    # Both came after the latest 07:00: only the address that wants its
    # answers at once gets them now.
    digests.send_due(now=timezone.now() + timedelta(seconds=1))

    assert [e.rcpt_tos for e in smtp.envelopes] == [["skola@example.org"]]
    assert Feedback.objects.unsent().get().owner_email == "naringsliv@example.org"


def test_retention_erases_the_contact_address_and_the_comment_as_received(pages, settings):
    settings.FEEDBACK_RETENTION_DAYS = 90
    old = answer(pages["school"], False, 2, "Ring mig.", "besokare@example.se")
    new = answer(pages["school"], False, 2, "Ny.", "ny@example.se")
    Feedback.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))

    assert retention.erase_expired() == 1
    assert retention.erase_expired() == 0

    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.contact_email, old.comment_as_received) == ("", "")
    assert (old.comment, old.rating, old.helpful) == ("Ring mig.", 2, False)
    assert old.personal_data_erased_at is not None
    assert new.contact_email == "ny@example.se"


def test_all_sends_a_digest_waiting_for_its_next_attempt_too(pages, smtp, settings):
    answer(pages["school"], True)
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()
    assert digests.send_due(everything=True) == {"retry": 1}
    settings.EMAIL_PORT = port

    call_command("send_feedback_digests", "--all")

    assert len(smtp.envelopes) == 1
    assert Digest.objects.get().status == DigestStatus.SENT


def test_a_sent_digest_keeps_no_visitor_data(pages, smtp):
    answer(pages["school"], False, 1, "Ring mig.", "besokare@example.se")
    digests.send_due(everything=True)

    digest = Digest.objects.get()
    assert digest.status == DigestStatus.SENT
    assert (digest.text_body, digest.html_body) == ("", "")
    assert digest.message_id and digest.subject


def test_an_erased_address_leaves_the_unsent_digest_too(pages, smtp):
    answer(pages["school"], False, 1, "Ring mig.", "besokare@example.se")
    answer(pages["school"], True, 5, "Bra.", "annan@example.se")
    [digest_id] = digests.gather_due(everything=True)
    assert "besokare@example.se" in Digest.objects.get(pk=digest_id).text_body

    assert retention.erase_contact_address("Besokare@example.se") == 1

    digest = Digest.objects.get(pk=digest_id)
    assert "besokare@example.se" not in digest.text_body + digest.html_body
    assert "annan@example.se" in digest.text_body
    digests.send_due()
    [message] = smtp.messages()
    assert "besokare@example.se" not in message.as_string()
    assert message["Message-ID"].strip() == digest.message_id


def test_a_follow_up_to_a_gathered_answer_is_not_counted_twice(pages, smtp):
    first = answer(pages["school"], True)
    digests.send_due(everything=True)
    answer(pages["school"], True, 4, "Tillägg.", follow_up_of=first)
    smtp.envelopes.clear()

    digests.send_due(everything=True)

    text = body_of(smtp.messages()[0], "plain")
    assert "Ja: 0   Nej: 0   Medelbetyg: 4,0 av 5 (1 betyg)" in text
    assert "Tillägg." in text
