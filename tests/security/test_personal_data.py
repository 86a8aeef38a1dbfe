"""Personal data out of logs and off the wire (issue 14): the registrar's
lookup by a visitor's address is posted, never put in a URL (access logs,
browser history, export links); production refuses to send mail in plain
text to an SMTP server elsewhere, with a deploy check and at send time."""

import csv
import io
import logging
import re
import socket
from html import unescape
from urllib.parse import unquote

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.test import Client, override_settings
from django.urls import reverse

from cms.mail import EmailBackend, PlaintextRefused
from feedback import digests
from feedback.models import Digest, DigestStatus
from tests.cms.test_settings import production_env, run
from tests.feedback import conftest as feedback_fixtures
from tests.feedback.conftest import user_client
from tests.feedback.test_digests import Mailbox, answer
from tests.ports import free_port

# The feedback tests' fixtures: a page, and four answers on it.
page, answers = feedback_fixtures.page, feedback_fixtures.answers

REGISTRAR = ("view_feedback", "view_comment_as_received")
ADDRESS = "-x@example.se"  # the fixture's one answer with a contact address


def without_address(text):
    text = unquote(unescape(text)).lower()
    return ADDRESS not in text and "example.se" not in text


def look_up(client, address):
    return client.post(reverse("feedback_registrar"), {"contact_email": address})


def test_the_registrar_looks_an_address_up_by_post(answers):
    client = user_client(*REGISTRAR)
    posted = look_up(client, "-X@example.se")
    assert posted.status_code == 302
    location = posted["Location"]
    assert without_address(location) and "lookup=" in location

    shown = client.get(location)
    html = shown.content.decode()
    assert "+46 is not a formula either" in html and "Bra sida." not in html
    assert "Radera personuppgifterna" in html

    exports = re.findall(r'href="([^"]*export=[^"]*)"', html)
    assert {"csv", "xlsx"} <= {re.search(r"export=(\w+)", url)[1] for url in exports}
    assert all(without_address(url) for url in exports)
    (csv_url,) = [unescape(url) for url in exports if "export=csv" in url]
    rows = list(csv.DictReader(io.StringIO(b"".join(client.get(csv_url)).decode())))
    # Only that address's answer (neutralised for spreadsheets, as every export is).
    assert [row["E-post"] for row in rows] == ["'-x@example.se"]


def test_an_address_in_the_url_filters_nothing(answers):
    client = user_client(*REGISTRAR)
    html = client.get(reverse("feedback_registrar"), {"contact_email": ADDRESS}).content.decode()
    assert "Bra sida." in html  # everything: the address in a URL is no lookup


def test_a_lookup_is_the_session_s_own(answers):
    token_url = look_up(user_client(*REGISTRAR), ADDRESS)["Location"]
    other = Client()
    other.force_login(get_user_model().objects.create_superuser("registrator-2"))
    html = other.get(token_url).content.decode()
    assert "+46 is not a formula either" not in html


def test_the_lookup_needs_the_csrf_token(answers):
    client = user_client(*REGISTRAR)
    client.handler.enforce_csrf_checks = True
    assert look_up(client, ADDRESS).status_code == 403
    page_html = client.get(reverse("feedback_registrar")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page_html)[1]
    posted = client.post(
        reverse("feedback_registrar"), {"contact_email": ADDRESS, "csrfmiddlewaretoken": token}
    )
    assert posted.status_code == 302


def test_an_empty_lookup_is_refused_in_swedish(answers):
    client = user_client(*REGISTRAR)
    response = look_up(client, "  ")
    assert response.status_code == 302
    assert "Ange besökarens e-postadress" in client.get(response["Location"]).content.decode()


# Mail


def address_elsewhere():
    """This machine's address on its network (not loopback): an SMTP server
    there is, for the rule, a server elsewhere."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent
            address = probe.getsockname()[0]
        except OSError:
            address = None
    if not address or address.startswith("127."):
        pytest.skip("this machine has no address but loopback")
    return address


@pytest.fixture
def relay():
    """A real SMTP server on this machine's network address."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname=address_elsewhere(), port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


def send(host, port, **options):
    backend = EmailBackend(host=host, port=port, timeout=5, **options)
    message = EmailMessage("Sammanställning", "Svar med besökares adresser.", to=["a@example.org"])
    return backend.send_messages([message])


@override_settings(EMAIL_ALLOW_PLAINTEXT=False)
def test_plain_text_to_a_server_elsewhere_is_refused_and_logged(relay, caplog):
    controller, mailbox = relay
    with caplog.at_level(logging.ERROR, logger="cms.mail"), pytest.raises(PlaintextRefused):
        send(controller.hostname, controller.port)
    assert mailbox.envelopes == []
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert "okrypterad" in record.getMessage() and controller.hostname in record.getMessage()

    with override_settings(EMAIL_ALLOW_PLAINTEXT=True):  # the server itself was there
        assert send(controller.hostname, controller.port) == 1
    assert len(mailbox.envelopes) == 1


@override_settings(EMAIL_ALLOW_PLAINTEXT=False)
def test_a_relay_on_this_machine_needs_no_tls():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        assert send("127.0.0.1", controller.port) == 1
        assert send("localhost", controller.port) == 1
    finally:
        controller.stop()
    assert len(mailbox.envelopes) == 2


@pytest.mark.django_db
def test_a_refused_digest_waits_for_a_retry(relay, page, settings):
    controller, mailbox = relay
    settings.EMAIL_BACKEND = "cms.mail.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_ALLOW_PLAINTEXT = False
    answer(page, comment="Hej", contact_email="besokare@example.org")

    assert digests.send_due(everything=True) == {"retry": 1}
    assert mailbox.envelopes == []
    digest = Digest.objects.get()
    assert digest.status == DigestStatus.PENDING and "PlaintextRefused" in digest.last_error


@pytest.mark.parametrize(
    ("extra", "refused"),
    [
        ({"EMAIL_HOST": "smtp.example.org"}, True),
        ({"EMAIL_HOST": "smtp.example.org", "EMAIL_USE_TLS": "true"}, False),
        ({"EMAIL_HOST": "smtp.example.org", "EMAIL_USE_SSL": "true", "EMAIL_PORT": "465"}, False),
        ({"EMAIL_HOST": "smtp.example.org", "EMAIL_ALLOW_PLAINTEXT": "true"}, False),
        ({"EMAIL_HOST": "127.0.0.1"}, False),
    ],
)
def test_the_deploy_check_refuses_plain_text_in_production(tmp_path, extra, refused):
    result = run(production_env(tmp_path, **extra), "manage.py", "check", "--deploy")
    output = result.stdout + result.stderr
    assert (result.returncode != 0) == refused, output
    assert ("cms.E001" in output) == refused, output
