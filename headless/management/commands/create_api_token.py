"""`manage.py create_api_token USERNAME --scope schedule [--scope pages]
[--scope drafts] [--days N] [--name NAME]`: a token with scopes and an
expiry, as the admin makes it. The token alone is the last line of the
output (scripts read it with `tail -n 1`); it is shown only this once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from wagtail.log_actions import log

from headless.models import APITokenGrant, default_expiry
from headless.scopes import SCOPES

ALL_SCOPES = ", ".join(SCOPES)
# Ten years: a token meant to last longer should not exist.
MAX_DAYS = 3650


class Command(BaseCommand):
    help = (
        "Skapar en API-token för en användare som får använda administrationen, med en eller "
        f"flera behörigheter ({ALL_SCOPES}) och en tid då den går ut. Token skrivs ensam på "
        "sista raden och visas bara nu."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="Användaren som token hör till.")
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            dest="scopes",
            metavar="BEHÖRIGHET",
            help=f"En behörighet ({ALL_SCOPES}); ange flaggan en gång per behörighet.",
        )
        parser.add_argument(
            "--days",
            metavar="DAGAR",
            help="Dagar tills token går ut (standard: API_TOKEN_DEFAULT_DAYS).",
        )
        parser.add_argument(
            "--name", default="Från kommandoraden", metavar="NAMN", help="Tokens namn."
        )

    def handle(self, *args, username, scopes, days, name, **options):
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise CommandError(f"Okänd behörighet: {', '.join(unknown)}. Välj bland: {ALL_SCOPES}.")
        if not scopes:
            raise CommandError(f"Ange minst en behörighet med --scope ({ALL_SCOPES}).")
        user = self.user(username)
        expires_at = default_expiry(self.days(days))
        token, plaintext = APITokenGrant.objects.create_token(
            user=user,
            name=name.strip() or "Från kommandoraden",
            scopes=scopes,
            expires_at=expires_at,
        )
        log(token, "wagtail.apitoken.create", data={"source": "management_command"})
        when = timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(
            f"Token ”{token.name}” för {user.get_username()} med behörigheterna "
            f"{token.grant.scope_list}, går ut {when} (svensk tid). Den visas bara nu:"
        )
        self.stdout.write(plaintext)

    def user(self, username):
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"Användaren ”{username}” finns inte.")
        if not (user.is_active and user.has_perm("wagtailadmin.access_admin")):
            raise CommandError(
                f"Användaren ”{username}” får inte använda administrationen och kan inte få "
                "en API-token."
            )
        return user

    def days(self, value):
        if value is None:
            return None
        try:
            days = int(value)
        except ValueError:
            days = 0
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(
                f"--days ska vara ett helt antal dagar, från 1 till {MAX_DAYS} (inte ”{value}”)."
            )
        return days
