import json

from django.core.management.base import BaseCommand, CommandError

from tasks.health import report


class Command(BaseCommand):
    help = (
        "Skriver ut pipelinens hälsa som JSON (databas, Redis, workers hjärtslag och svar "
        "på ping, senaste svepet, försenade publiceringar, jobb som väntar på kön) "
        "och avslutar med fel om något inte står rätt till. "
        "För docker-compose healthchecks och övervakning."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Pinga inte workers (deras hjärtslag läses ändå).",
        )

    def handle(self, *args, no_worker, **options):
        data = report(ping=not no_worker)
        self.stdout.write(json.dumps(data))
        if not data["ok"]:
            raise CommandError("Pipelinen mår inte bra: se ovan.")
