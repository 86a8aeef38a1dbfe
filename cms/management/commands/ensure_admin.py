import secrets

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cms.settings.environment import env_str


class Command(BaseCommand):
    help = (
        "Ser till att administratörskontot finns. Lösenordet tas från ADMIN_PASSWORD; "
        "saknas den skapas ett lösenord som skrivs ut en gång."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=env_str("ADMIN_USERNAME", "admin"))
        parser.add_argument(
            "--email", default=env_str("ADMIN_EMAIL", "admin@lidkoping.example.org")
        )

    def handle(self, *args, username, email, **options):
        User = get_user_model()
        password = env_str("ADMIN_PASSWORD")
        user = User.objects.filter(username=username).first()
        if password is not None and settings.ADMIN_PASSWORD_VALIDATION:
            self.validate(password, user or User(username=username, email=email))

        if user is None:
            generated = password is None
            password = password or secrets.token_urlsafe(12)
            User.objects.create_superuser(username=username, email=email, password=password)
            if generated:
                self.stdout.write(
                    f"Skapade administratören ”{username}” med lösenordet: {password}\n"
                    "Spara det nu: det visas inte igen. (Sätt ADMIN_PASSWORD för att välja "
                    "ett eget.)"
                )
            else:
                self.stdout.write(
                    f"Skapade administratören ”{username}” (lösenord från ADMIN_PASSWORD)."
                )
            return

        if password is not None and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(f"Satte lösenordet för ”{username}” från ADMIN_PASSWORD.")

    def validate(self, password, user):
        """Production: the admin's password passes the validators every
        other password must pass (AUTH_PASSWORD_VALIDATORS)."""
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            reasons = "\n".join(f"- {message}" for message in error.messages)
            raise CommandError(
                "ADMIN_PASSWORD duger inte som lösenord för administratören:\n"
                f"{reasons}\n"
                "Välj ett längre lösenord som inte liknar användarnamnet eller e-postadressen "
                "och som inte är vanligt; ingenting har ändrats."
            ) from None
