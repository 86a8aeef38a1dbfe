"""The project's own deploy checks (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.utils.module_loading import import_string

from .mail import plaintext_refusal


@register(Tags.security, deploy=True)
def check_mail_is_encrypted(app_configs, **kwargs):
    """Mail to an SMTP server elsewhere goes over TLS (cms/mail.py)."""
    if not issubclass(import_string(settings.EMAIL_BACKEND), SMTPBackend):
        return []  # the console, memory: nothing leaves the machine
    reason = plaintext_refusal(
        settings.EMAIL_HOST,
        use_tls=settings.EMAIL_USE_TLS,
        use_ssl=settings.EMAIL_USE_SSL,
        allow_plaintext=settings.EMAIL_ALLOW_PLAINTEXT,
    )
    if reason is None:
        return []
    return [
        Error(
            f"Mail to {settings.EMAIL_HOST} would be sent in plain text.",
            hint="Set EMAIL_USE_TLS or EMAIL_USE_SSL, or EMAIL_ALLOW_PLAINTEXT=true where "
            "the network to the SMTP server is trusted.",
            id="cms.E001",
        )
    ]
