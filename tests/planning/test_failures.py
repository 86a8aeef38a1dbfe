"""A scheduled publish that cannot be done (its slug taken meanwhile), run by
a real worker: nothing is published, the failure is recorded once, its author
gets one Swedish e-mail through a real SMTP server, the overview shows it on
top and the health report counts it until someone marks it seen."""

import email
import email.policy
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from headless.schedule_changes import change_schedule
from planning import failures
from planning.models import PUBLISH, ScheduledChangeFailure
from planning.rows import FAILED, scheduled_changes
from tasks import health, publishing, scheduling
from tests.builders import make_page
from tests.intl_pages.admin_forms import make_user
from tests.ports import free_port
from tests.tasks.support import fetch_page, requires_postgresql, seconds_from_now, wait_until


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (
                envelope.rcpt_tos,
                email.message_from_bytes(envelope.content, policy=email.policy.default),
            )
        )
        return "250 OK"


@pytest.fixture
def mailbox(settings):
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "cms.mail.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield box
    controller.stop()


@pytest.mark.django_db(transaction=True)
def test_a_failed_publish_is_told_once_and_shown_until_seen(worker, page_tx, mailbox, task_runs):
    author = make_user("anna", superuser=True)
    author.email, author.first_name, author.last_name = "anna@example.org", "Anna", "Andersson"
    author.save()
    page = fetch_page(page_tx.pk)
    old_title = page.title
    page.title, page.slug = "Vänorter i Europa", "vanorter-i-europa"
    page.save_revision(user=author)
    go_live_at = seconds_from_now(2).replace(microsecond=0)
    change_schedule(page, author, go_live_at=go_live_at)
    # Before its time, another page takes the slug: the revision is no
    # longer valid, and retrying will not make it so.
    make_page(title="Vänorter i Europa", parent=page.get_parent())

    failure = wait_until(
        lambda: ScheduledChangeFailure.objects.filter(mailed_at__isnull=False).first(),
        what="the failure to be recorded and mailed",
    )
    [run] = task_runs.wait_for("tasks.mail_schedule_failure", failure.pk)
    assert run.retval is True

    page = fetch_page(page_tx.pk)
    assert page.title == old_title, "nothing is published"
    assert not page.revisions.filter(approved_go_live_at__isnull=False).exists()
    assert failure.action == PUBLISH and failure.due_at == go_live_at
    assert failure.scheduled_by == author
    assert "vanorter-i-europa" in failure.reason

    [(recipients, message)] = mailbox.messages
    assert recipients == ["anna@example.org"]
    subject = " ".join(str(message["Subject"]).split())
    assert subject == f"Schemalagd publicering misslyckades: {old_title}"
    body = message.get_content()
    assert "Hej Anna Andersson" in body and failure.reason in body
    assert f"/admin/pages/{page.pk}/edit/" in body and "/admin/reports/schemalagt/" in body

    # Told once: the sweep finds nothing to redo, a second send does nothing.
    assert publishing.plan_due() == 0
    assert failures.mail_failure(failure.pk) is False
    assert len(mailbox.messages) == 1

    [row] = [row for row in scheduled_changes() if row.object.pk == page.pk]
    assert row.state == FAILED and row.failure_id == failure.pk
    report = health.report()
    assert report.get("schedule_failures") == 1, report
    assert health.report()["ok"] is False

    client = Client()
    client.force_login(author)
    assert "Markera som sedd" in client.get("/admin/").content.decode()
    client.post(f"/admin/reports/schemalagt/sedd/{failure.pk}/")
    assert health.report()["schedule_failures"] == 0
    assert [row for row in scheduled_changes() if row.object.pk == page.pk] == []


@pytest.mark.django_db
def test_retries_spent_are_recorded_once(db):
    author = make_user("bo", superuser=True)
    page = make_page(title="Rockford", live=False)
    change_schedule(page, author, go_live_at=seconds_from_now(3600))
    revision = page.revisions.get(approved_go_live_at__isnull=False)
    args = [revision.pk, revision.approved_go_live_at.isoformat()]
    error = RuntimeError("databasen svarade inte")

    first = scheduling.record_gave_up("tasks.publish_revision", args, error)
    assert first is not None
    assert scheduling.record_gave_up("tasks.publish_revision", args, error) is None
    failure = ScheduledChangeFailure.objects.get(pk=first)
    assert failure.scheduled_by == author
    assert "databasen svarade inte" in failure.reason
    assert failure.due_at == revision.approved_go_live_at
    assert failure.due_at - seconds_from_now(0) > timedelta(minutes=50)


@requires_postgresql  # SQLite does not hold a text to its column's length
@pytest.mark.django_db(transaction=True)
def test_a_publish_whose_retries_are_spent_is_told_once(
    worker, page_tx, mailbox, task_runs, monkeypatch
):
    # No retries, so that the worker gives up at once, as it would after
    # its eight (about a quarter of an hour).
    monkeypatch.setattr(publishing.publish_revision, "max_retries", 0)
    author = make_user("anna", superuser=True)
    author.email = "anna@example.org"
    author.save()
    page = fetch_page(page_tx.pk)
    page.title = "Trasig"
    page.save_revision(user=author)
    go_live_at = seconds_from_now(2).replace(microsecond=0)
    change_schedule(page, author, go_live_at=go_live_at)
    revision = page.revisions.get(approved_go_live_at__isnull=False)
    # A title for search engines longer than its column: the database
    # refuses the publish every time, and the publish's light clean (for a
    # validation error, recorded without retries) does not look at it.
    revision.content["seo_title"] = "x" * 300
    revision.save(update_fields=["content"])

    failure = wait_until(
        lambda: ScheduledChangeFailure.objects.filter(mailed_at__isnull=False).first(),
        what="the failure to be recorded and mailed",
    )
    assert failure.revision_id == revision.pk and failure.scheduled_by == author
    assert failure.reason.startswith("Försöken tog slut")
    [(recipients, _message)] = mailbox.messages
    assert recipients == ["anna@example.org"]
    assert fetch_page(page_tx.pk).title != "Trasig"
