"""What a Wagtail API token may be used for, and until when: a grant beside
Wagtail's own `APIToken`, which keeps the digest, the owner, `last_used_at`
and revocation. A token without a grant is refused (tokens.py)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from wagtail.models import APIToken

from .scopes import SCOPES


def default_expiry(days=None):
    """`days` (API_TOKEN_DEFAULT_DAYS unless given) from now, to the minute:
    the admin's date-time field shows minutes, so an expiry it shows is the
    one it saves again."""
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    return (timezone.now() + timedelta(days=days)).replace(second=0, microsecond=0)


def validate_scopes(value):
    if not isinstance(value, list) or not value:
        raise ValidationError("Välj minst en behörighet.")
    unknown = sorted(set(value) - set(SCOPES))
    if unknown:
        raise ValidationError(f"Okänd behörighet: {', '.join(unknown)}.")


class APITokenGrantManager(models.Manager):
    def create_token(self, *, user, name, scopes, expires_at=None):
        """A new token with its grant, as `APIToken.create_token` makes it:
        `(token, plaintext)`; the plaintext is never stored."""
        scopes = [scope for scope in SCOPES if scope in scopes]
        validate_scopes(scopes)
        with transaction.atomic():
            token, plaintext = APIToken.create_token(user=user, name=name)
            self.create(token=token, scopes=scopes, expires_at=expires_at or default_expiry())
        return token, plaintext


class APITokenGrant(models.Model):
    token = models.OneToOneField(
        APIToken,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="grant",
        verbose_name="API-token",
    )
    # A list of scope names: JSON, which SQLite and PostgreSQL both store.
    scopes = models.JSONField(
        default=list, validators=[validate_scopes], verbose_name="behörigheter"
    )
    expires_at = models.DateTimeField(verbose_name="går ut")

    objects = APITokenGrantManager()

    class Meta:
        verbose_name = "behörighet för API-token"
        verbose_name_plural = "behörigheter för API-tokens"

    def __str__(self):
        return f"{self.token}: {', '.join(self.scopes)}"

    def allows(self, scope):
        return scope in self.scopes

    def has_expired(self, now=None):
        return self.expires_at <= (now or timezone.now())

    @property
    def expired(self):
        return self.has_expired()

    @property
    def scope_list(self):
        """The scopes in the table's order, for people to read."""
        return ", ".join(scope for scope in SCOPES if scope in self.scopes)
