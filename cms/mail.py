"""Mail to the SMTP server, never in plain text over a network in
production.

The feedback digests carry visitors' addresses and comments. Production's
backend (`EmailBackend`) refuses to send to an SMTP server that is not on
this machine without STARTTLS (`EMAIL_USE_TLS`) or TLS (`EMAIL_USE_SSL`),
unless `EMAIL_ALLOW_PLAINTEXT` says the network to it is trusted: the
refusal is logged at ERROR and raised as an SMTP error, so a digest waits
and is tried again as for a server that is down. `manage.py check
--deploy` says so before anything is sent (`cms/checks.py`). A relay on
this machine (localhost, 127.0.0.1, ::1) is reached without a network.
"""

import ipaddress
import logging
import smtplib

from django.conf import settings
from django.core.mail.backends import smtp

logger = logging.getLogger(__name__)


class PlaintextRefused(smtplib.SMTPException):
    """The message would cross a network unencrypted."""


def is_local(host):
    name = (host or "").strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def plaintext_refusal(host, *, use_tls, use_ssl, allow_plaintext):
    """Why mail to `host` may not be sent so (None when it may)."""
    if use_tls or use_ssl or allow_plaintext or is_local(host):
        return None
    return (
        f"e-post till SMTP-servern {host} skulle gå okrypterad. Sätt EMAIL_USE_TLS eller "
        "EMAIL_USE_SSL, eller EMAIL_ALLOW_PLAINTEXT=true om nätet dit är betrott."
    )


class EmailBackend(smtp.EmailBackend):
    """Django's SMTP backend, refusing plain text to a server elsewhere."""

    def open(self):
        if self.connection is None:
            reason = plaintext_refusal(
                self.host,
                use_tls=self.use_tls,
                use_ssl=self.use_ssl,
                allow_plaintext=settings.EMAIL_ALLOW_PLAINTEXT,
            )
            if reason:
                logger.error("E-post skickades inte: %s", reason)
                if self.fail_silently:
                    return False
                raise PlaintextRefused(reason)
        return super().open()
