"""A real worker process sends a digest to a real SMTP server and is killed
(SIGKILL) after the server has the message and before the mark: the digest
stays claimed, and once the claim is stale it goes again as the identical
message, the only repeat there can ever be."""

import email
import email.policy
import os
import signal
from datetime import timedelta

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.utils import timezone

from feedback import digests
from feedback.models import Digest, DigestStatus, Feedback
from tasks.feedback import send_feedback_digest
from tests.builders import make_page
from tests.ports import free_port
from tests.tasks.support import WorkerProcess, requires_postgresql

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]


class KillingMailbox:
    """Keeps each message, then kills the sending worker before it hears 250."""

    def __init__(self):
        self.envelopes = []
        self.worker_pid = None

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        if self.worker_pid:
            os.kill(self.worker_pid, signal.SIGKILL)
            self.worker_pid = None
        return "250 OK"


@pytest.fixture
def broker():
    """The broker's Redis database, emptied before and after."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def mailbox(monkeypatch, settings):
    box = KillingMailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("EMAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("EMAIL_PORT", str(controller.port))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield box
    controller.stop()


def test_a_worker_killed_between_acceptance_and_mark(broker, mailbox, tmp_path):
    page = make_page(title="Skolor", owner_email="skola@example.org")
    broker.flushdb()
    Feedback.objects.create(
        page=page,
        page_title=page.title,
        page_url=page.full_url,
        owner_email=page.owner_email,
        helpful=False,
        rating=2,
        comment="Fel telefontid.",
    )
    [digest_id] = digests.gather_due(everything=True)
    worker = WorkerProcess(tmp_path / "worker.log")
    try:
        mailbox.worker_pid = worker.process.pid
        send_feedback_digest.delay(digest_id)
        worker.process.wait(timeout=60)
    finally:
        worker.stop()

    assert len(mailbox.envelopes) == 1, worker.output()
    digest = Digest.objects.get(pk=digest_id)
    assert digest.status == DigestStatus.SENDING  # claimed, never marked

    # The sweep after the claim went stale: the same message again.
    later = timezone.now() + digests.STALE_CLAIM + timedelta(seconds=1)
    assert digest_id in digests.sendable(later)
    assert digests.send(digest_id, now=later) == "sent"
    assert digests.send(digest_id, now=later) == "skipped"

    first, second = (
        email.message_from_bytes(e.content, policy=email.policy.default) for e in mailbox.envelopes
    )
    assert first["Message-ID"] == second["Message-ID"]
    assert Digest.objects.get(pk=digest_id).status == DigestStatus.SENT
