"""Review reminders in the digests, through a real SMTP server: a page whose
review is due is in its owner's digest ("Sidor att granska"), sent even
without answers, again at each digest time until someone has reviewed it; a
contact is due for the owners of every page that shows it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback import digests
from feedback.models import Digest, DigestFrequency, OwnerMailbox
from intl_pages import reviews
from intl_pages.models import Contact, InternationalPage
from tests.builders import contacts_block, make_contact, make_page
from tests.intl_pages.admin_forms import make_user

from . import test_digests
from .test_digests import answer, body_of

smtp = test_digests.smtp  # the real SMTP server, as a fixture of this module

LONG_AGO = datetime(2020, 1, 1, 9, 0, tzinfo=UTC)
OWNER = "naringsliv@example.org"


def make_due(obj):
    type(obj).objects.filter(pk=obj.pk).update(first_published_at=LONG_AGO)
    return type(obj).objects.get(pk=obj.pk)


def to(smtp, owner):
    return [m for m in smtp.messages() if m["To"] == owner]


@pytest.fixture
def due_page(db):
    return make_due(make_page(title="Vänorter", owner_email=OWNER))


def test_a_due_page_is_reminded_at_each_digest_until_reviewed(due_page, smtp, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://cms.example.org"
    make_page(title="Ny sida", owner_email=OWNER)  # not due
    now = timezone.now()

    digests.send_due(now=now)
    [first] = to(smtp, OWNER)
    assert first["Subject"] == "Sidrespons: 1 sida att granska"
    text = body_of(first, "plain")
    assert "== Sidor att granska ==" in text
    assert "Vänorter (sida), skulle granskas senast 2020-12-31, aldrig granskad" in text
    assert "Ny sida" not in text
    url = f"https://cms.example.org/admin/granska/page/{due_page.pk}/"
    assert f"Granskad: {url}" in text
    assert f'<a href="{url}">Granskad</a>' in body_of(first, "html")

    # The same digest time: no second reminder.
    digests.send_due(now=now + timedelta(minutes=5))
    assert len(to(smtp, OWNER)) == 1

    # The next day's digest reminds again, with the day's answers.
    answer(due_page, True, 4)
    digests.send_due(now=now + timedelta(days=1))
    assert len(to(smtp, OWNER)) == 2
    second = to(smtp, OWNER)[1]
    assert (
        second["Subject"].strip() == "Sidrespons: 1 nytt svar från besökare och 1 sida att granska"
    )
    assert "== Sidor att granska ==" in body_of(second, "plain")
    assert second["Message-ID"] != first["Message-ID"]

    # Reviewed: no more reminders.
    reviews.mark_reviewed(due_page, make_user("granskare", "Editors"))
    digests.send_due(now=now + timedelta(days=2))
    assert len(to(smtp, OWNER)) == 2
    assert not reviews.reminders_by_owner(now + timedelta(days=2))


def test_a_page_due_since_the_digest_time_waits_for_the_next(db, smtp):
    page = make_page(title="Vänorter", owner_email=OWNER)
    now = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm, a Tuesday
    # Due at 08:00 UTC today: after today's 07:00 digest time (06:00 UTC).
    InternationalPage.objects.filter(pk=page.pk).update(
        first_published_at=now - timedelta(days=365, hours=1)
    )
    digests.send_due(now=now)
    assert not smtp.envelopes
    digests.send_due(now=now + timedelta(days=1))
    assert len(to(smtp, OWNER)) == 1


def test_an_owner_who_wants_answers_at_once_is_reminded_daily(due_page, smtp):
    OwnerMailbox.objects.create(email=OWNER, frequency=DigestFrequency.IMMEDIATE)
    now = timezone.now()
    digests.send_due(now=now)
    answer(due_page, False)
    digests.send_due(now=now + timedelta(minutes=2))
    messages = to(smtp, OWNER)
    assert len(messages) == 2
    assert "Sidor att granska" in body_of(messages[0], "plain")
    assert "Sidor att granska" not in body_of(messages[1], "plain")


def test_a_weekly_owner_is_reminded_weekly(due_page, smtp):
    OwnerMailbox.objects.create(email=OWNER, frequency=DigestFrequency.WEEKLY)
    monday = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    digests.send_due(now=monday)
    digests.send_due(now=monday + timedelta(days=3))
    assert len(to(smtp, OWNER)) == 1
    digests.send_due(now=monday + timedelta(days=7))
    assert len(to(smtp, OWNER)) == 2


def test_a_due_contact_is_in_the_digest_of_the_owners_of_every_page_showing_it(db, smtp):
    kim = make_due(make_contact(name="Kim Exempelsson"))
    make_page(title="Vänorter", owner_email="a@example.org", body=[contacts_block(kim)])
    make_page(title="Skolor", owner_email="b@example.org", body=[contacts_block(kim)])
    make_page(title="Annat", owner_email="c@example.org")
    digests.send_due(now=timezone.now())
    for owner in ("a@example.org", "b@example.org"):
        [message] = to(smtp, owner)
        assert "Kim Exempelsson (kontaktperson)" in body_of(message, "plain")
        assert f"/admin/granska/contact/{kim.pk}/" in body_of(message, "plain")
    assert not to(smtp, "c@example.org")

    reviews.mark_reviewed(Contact.objects.get(pk=kim.pk), None)
    digests.send_due(now=timezone.now() + timedelta(days=1))
    assert len(smtp.envelopes) == 2


def test_a_rebuilt_digest_keeps_its_reminders(due_page):
    digests.gather_due(now=timezone.now())
    digest = Digest.objects.get()
    digests.rebuild_unsent([digest.pk])
    digest.refresh_from_db()
    assert "Sidor att granska" in digest.text_body
    assert digest.subject == "Sidrespons: 1 sida att granska"


def test_gathering_costs_the_same_queries_for_one_due_page_and_many(db):
    kim = make_due(make_contact())
    make_due(make_page(title="Sida 0", owner_email=OWNER, body=[contacts_block(kim)]))
    now = timezone.now()
    with CaptureQueriesContext(connection) as one:
        digests.gather_due(now=now)
    assert Digest.objects.count() == 1
    Digest.objects.all().delete()
    for n in range(1, 10):
        make_due(make_page(title=f"Sida {n}", owner_email=OWNER))
    with CaptureQueriesContext(connection) as many:
        digests.gather_due(now=now)
    assert "Sida 9" in Digest.objects.get().text_body
    assert len(many) == len(one)
